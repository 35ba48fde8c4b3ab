-- Scripting: the script cache of EVAL / SCRIPT LOAD and the function libraries of FUNCTION LOAD.
--
-- Both live here, not in each instance's memory, so that a script loaded through one instance is
-- callable by EVALSHA, and a function by FCALL, on every instance. Instances keep a local cache
-- in front of pgredis_scripts (a script never changes under its SHA1); function libraries are
-- read on every FCALL, inside the call's transaction, so a FUNCTION LOAD REPLACE or DELETE is
-- seen at once everywhere.

CREATE TABLE pgredis_scripts (
    sha  text  PRIMARY KEY,   -- lower-case hex SHA1 of body
    body bytea NOT NULL
);

CREATE TABLE pgredis_function_libraries (
    name   text  PRIMARY KEY, -- letters, digits and underscores only (checked by pgredis)
    engine text  NOT NULL DEFAULT 'LUA',
    code   bytea NOT NULL
);

-- Function names are global, and like Redis they ignore case: two libraries cannot register
-- the same name.
CREATE TABLE pgredis_functions (
    name        text   NOT NULL,
    library     text   NOT NULL REFERENCES pgredis_function_libraries (name) ON DELETE CASCADE,
    description bytea,
    flags       text[] NOT NULL
);

CREATE UNIQUE INDEX pgredis_functions_by_name ON pgredis_functions (lower(name));
CREATE INDEX pgredis_functions_by_library ON pgredis_functions (library);

-- Library changes of all instances take turns on this advisory lock ("pgfunc" in ASCII), so that
-- two loads cannot both see a function name as free.
CREATE FUNCTION pgredis_function_libraries_lock() RETURNS void
LANGUAGE sql
AS $$ SELECT pg_advisory_xact_lock(x'706766756e63'::bigint) $$;

-- FUNCTION LOAD [REPLACE]: stores a library and its functions, with Redis's checks and errors.
-- pgredis has already run the code to learn the functions; p_flags holds each function's flags
-- separated by spaces.
CREATE FUNCTION pgredis_function_load(p_name text, p_code bytea, p_replace boolean,
                                      p_functions text[], p_descriptions bytea[], p_flags text[])
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    clash text;
BEGIN
    PERFORM pgredis_function_libraries_lock();
    IF NOT p_replace AND EXISTS (SELECT 1 FROM pgredis_function_libraries WHERE name = p_name) THEN
        RAISE EXCEPTION USING MESSAGE = format('ERR Library ''%s'' already exists', p_name);
    END IF;
    SELECT n.name INTO clash
      FROM unnest(p_functions) WITH ORDINALITY AS n (name, i)
      JOIN pgredis_functions f ON lower(f.name) = lower(n.name) AND f.library <> p_name
     ORDER BY n.i LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING MESSAGE = format('ERR Function %s already exists', clash);
    END IF;
    DELETE FROM pgredis_function_libraries WHERE name = p_name;
    INSERT INTO pgredis_function_libraries (name, code) VALUES (p_name, p_code);
    INSERT INTO pgredis_functions (name, library, description, flags)
    SELECT f.name, p_name, f.description, string_to_array(f.flags, ' ')
      FROM unnest(p_functions, p_descriptions, p_flags) AS f (name, description, flags);
END
$$;

-- FUNCTION RESTORE: many libraries at once. p_policy is APPEND, REPLACE or FLUSH; p_libraries
-- names the library of each function (p_functions ...), and p_codes is each library's code in
-- the order of p_names.
CREATE FUNCTION pgredis_function_restore(p_policy text, p_names text[], p_codes bytea[],
                                         p_libraries text[], p_functions text[],
                                         p_descriptions bytea[], p_flags text[])
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    clash text;
BEGIN
    PERFORM pgredis_function_libraries_lock();
    IF p_policy = 'FLUSH' THEN
        DELETE FROM pgredis_function_libraries;
    ELSIF p_policy = 'APPEND' THEN
        SELECT name INTO clash FROM pgredis_function_libraries
         WHERE name = ANY (p_names) ORDER BY name LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING MESSAGE = format('ERR Library %s already exists', clash);
        END IF;
    END IF;
    SELECT n.name INTO clash
      FROM unnest(p_functions) WITH ORDINALITY AS n (name, i)
      JOIN pgredis_functions f ON lower(f.name) = lower(n.name) AND NOT f.library = ANY (p_names)
     ORDER BY n.i LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING MESSAGE = format('ERR Function %s already exists', clash);
    END IF;
    DELETE FROM pgredis_function_libraries WHERE name = ANY (p_names);
    INSERT INTO pgredis_function_libraries (name, code)
    SELECT * FROM unnest(p_names, p_codes);
    INSERT INTO pgredis_functions (name, library, description, flags)
    SELECT f.name, f.library, f.description, string_to_array(f.flags, ' ')
      FROM unnest(p_functions, p_libraries, p_descriptions, p_flags)
        AS f (name, library, description, flags);
END
$$;
