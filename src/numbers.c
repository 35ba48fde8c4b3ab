/* Redis's number formatting, done with the C library as Redis does it.
 *
 * INCRBYFLOAT adds in long double and prints with "%.17Lf" minus trailing zeros; replies of
 * doubles use "%.17g". Rust has no long double, so these few lines stay in C. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LONG_DOUBLE_CHARS (5 * 1024)

/* Parses like Redis's string2ld: the whole buffer, no leading space, no NaN. 1 on success. */
static int parse_ld(const char *s, size_t len, long double *out) {
    char buf[MAX_LONG_DOUBLE_CHARS];
    char *end;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    long double v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || end != buf + len ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* value + incr as INCRBYFLOAT does it. Returns the length written to out, or
 * -1 when value is not a float, -2 when incr is not, -3 when the sum is NaN or infinite. */
long pgredis_incrbyfloat(const char *value, size_t value_len, int has_value,
                         const char *incr, size_t incr_len, char *out, size_t out_len) {
    long double v = 0, i;
    if (has_value && !parse_ld(value, value_len, &v)) return -1;
    if (!parse_ld(incr, incr_len, &i)) return -2;
    v += i;
    if (isnan(v) || isinf(v)) return -3;
    int l = snprintf(out, out_len, "%.17Lf", v);
    if (l < 0 || (size_t)l + 1 > out_len) return -3;
    if (strchr(out, '.') != NULL) {
        char *p = out + l - 1;
        while (*p == '0') {
            p--;
            l--;
        }
        if (*p == '.') l--;
    }
    if (l == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        l = 1;
    }
    return l;
}

/* A double as Redis 7.0 replies it: "%.17g", with inf and -inf spelled out. */
long pgredis_format_double(double d, char *out, size_t out_len) {
    if (isinf(d)) return snprintf(out, out_len, "%s", d > 0 ? "inf" : "-inf");
    return snprintf(out, out_len, "%.17g", d);
}

/* Parses like Redis's getDoubleFromObject (strtod over the whole buffer). 1 on success. */
int pgredis_parse_double(const char *s, size_t len, double *out) {
    char buf[MAX_LONG_DOUBLE_CHARS];
    char *end;
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    double v = strtod(buf, &end);
    if (isspace((unsigned char)buf[0]) || end != buf + len ||
        (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* A blocking command's timeout as Redis 7.0 reads it (getTimeoutFromObjectOrReply): seconds as
 * a long double, times 1000, rounded up to whole milliseconds, converted to long long as the C
 * compiler does it (on x86-64 a value out of range, infinity included, comes out as LLONG_MIN,
 * which Redis then calls negative).
 * 1 on success, 0 when the argument is not a float. */
int pgredis_timeout_ms(const char *s, size_t len, long long *out) {
    long double v;
    if (!parse_ld(s, len, &v)) return 0;
    v = ceill(v * 1000.0L);
    if (!(v > -9223372036854775808.0L && v < 9223372036854775808.0L)) {
        *out = (-9223372036854775807LL - 1);
        return 1;
    }
    *out = (long long)v;
    return 1;
}
