-- session
ALTER SESSION SET TIMEZONE = 'UTC'
  TIMESTAMP_NTZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9'
  TIMESTAMP_LTZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM'
  TIMESTAMP_TZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM'
  DATE_OUTPUT_FORMAT = 'YYYY-MM-DD';

-- outcomes
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "cdr_id", "ts", "msisdn", "service", "units") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("cdr_id" AS VARCHAR) AS "cdr_id", CAST("ts" AS VARCHAR) AS "ts", CAST("msisdn" AS VARCHAR) AS "msisdn", CAST("service" AS VARCHAR) AS "service", CAST("units" AS VARCHAR) AS "units"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "cdr_id", "__typed_ts" AS "ts", "msisdn", "service", "units"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "cdr_id" IS NULL OR trim("cdr_id") = '' THEN 'missing_cdr_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "msisdn" IS NULL OR trim("msisdn") = '' THEN 'missing_msisdn' WHEN "service" IS NULL OR trim("service") = '' THEN 'missing_service' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "cdr_id" IS NULL OR trim("cdr_id") = '' THEN 'cdr_id=' || coalesce('"' || replace("cdr_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "msisdn" IS NULL OR trim("msisdn") = '' THEN 'msisdn=' || coalesce('"' || replace("msisdn", '"', '""') || '"', 'null') WHEN "service" IS NULL OR trim("service") = '' THEN 'service=' || coalesce('"' || replace("service", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN REGEXP_LIKE(TRIM("ts"), '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?') THEN CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(TRIM("ts"))) AS TIMESTAMP_NTZ) END AS "__typed_ts" FROM __source))),
__stage_0 AS (SELECT * REPLACE (CAST(lower("service") AS VARCHAR) AS "service")
  FROM __typed),
__stage_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("service" IN ('voice', 'sms', 'data')), false)) THEN 'R\x1fknown_service\x1funknown_service\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_0),
__stage_2 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1funits_to_integer\x1finvalid_units\x1f' || coalesce('units=' || coalesce('"' || replace("units", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "units")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("units", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("units"), 18, 0) END AS __converted FROM __stage_1)),
__stage_3 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("units" >= CAST(0 AS BIGINT)), false)) THEN 'R\x1fnon_negative_units\x1fnegative_units\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_2),
__stage_4 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "cdr_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_cdrs\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_cdrs\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "cdr_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("cdr_id", "ts", "msisdn", "service", "units") AS __payload, first_value(hash("cdr_id", "ts", "msisdn", "service", "units")) OVER (PARTITION BY "cdr_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_3)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_4),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("msisdn" IS NULL OR CAST("msisdn" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_msisdn\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_1)
SELECT __status, __stage, __reason, count(*) AS __rows
  FROM __events
  GROUP BY __status, __stage, __reason
  ORDER BY __status NULLS FIRST, __stage, __reason;

-- rejects
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "cdr_id", "ts", "msisdn", "service", "units") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("cdr_id" AS VARCHAR) AS "cdr_id", CAST("ts" AS VARCHAR) AS "ts", CAST("msisdn" AS VARCHAR) AS "msisdn", CAST("service" AS VARCHAR) AS "service", CAST("units" AS VARCHAR) AS "units"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "cdr_id", "__typed_ts" AS "ts", "msisdn", "service", "units"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "cdr_id" IS NULL OR trim("cdr_id") = '' THEN 'missing_cdr_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "msisdn" IS NULL OR trim("msisdn") = '' THEN 'missing_msisdn' WHEN "service" IS NULL OR trim("service") = '' THEN 'missing_service' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "cdr_id" IS NULL OR trim("cdr_id") = '' THEN 'cdr_id=' || coalesce('"' || replace("cdr_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "msisdn" IS NULL OR trim("msisdn") = '' THEN 'msisdn=' || coalesce('"' || replace("msisdn", '"', '""') || '"', 'null') WHEN "service" IS NULL OR trim("service") = '' THEN 'service=' || coalesce('"' || replace("service", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN REGEXP_LIKE(TRIM("ts"), '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?') THEN CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(TRIM("ts"))) AS TIMESTAMP_NTZ) END AS "__typed_ts" FROM __source))),
__stage_0 AS (SELECT * REPLACE (CAST(lower("service") AS VARCHAR) AS "service")
  FROM __typed),
__stage_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("service" IN ('voice', 'sms', 'data')), false)) THEN 'R\x1fknown_service\x1funknown_service\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_0),
__stage_2 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1funits_to_integer\x1finvalid_units\x1f' || coalesce('units=' || coalesce('"' || replace("units", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "units")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("units", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("units"), 18, 0) END AS __converted FROM __stage_1)),
__stage_3 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("units" >= CAST(0 AS BIGINT)), false)) THEN 'R\x1fnon_negative_units\x1fnegative_units\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_2),
__stage_4 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "cdr_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_cdrs\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_cdrs\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "cdr_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("cdr_id", "ts", "msisdn", "service", "units") AS __payload, first_value(hash("cdr_id", "ts", "msisdn", "service", "units")) OVER (PARTITION BY "cdr_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_3)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_4),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("msisdn" IS NULL OR CAST("msisdn" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_msisdn\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_1)
SELECT __line, __stage, __reason, __detail
  FROM __events
  WHERE __status = 'R'
  QUALIFY row_number() OVER (PARTITION BY __file, __line ORDER BY __split) = 1
  ORDER BY __line
  LIMIT 10000;

-- charge:calls
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "cdr_id", "ts", "msisdn", "service", "units") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("cdr_id" AS VARCHAR) AS "cdr_id", CAST("ts" AS VARCHAR) AS "ts", CAST("msisdn" AS VARCHAR) AS "msisdn", CAST("service" AS VARCHAR) AS "service", CAST("units" AS VARCHAR) AS "units"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "cdr_id", "__typed_ts" AS "ts", "msisdn", "service", "units"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "cdr_id" IS NULL OR trim("cdr_id") = '' THEN 'missing_cdr_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "msisdn" IS NULL OR trim("msisdn") = '' THEN 'missing_msisdn' WHEN "service" IS NULL OR trim("service") = '' THEN 'missing_service' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "cdr_id" IS NULL OR trim("cdr_id") = '' THEN 'cdr_id=' || coalesce('"' || replace("cdr_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "msisdn" IS NULL OR trim("msisdn") = '' THEN 'msisdn=' || coalesce('"' || replace("msisdn", '"', '""') || '"', 'null') WHEN "service" IS NULL OR trim("service") = '' THEN 'service=' || coalesce('"' || replace("service", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN REGEXP_LIKE(TRIM("ts"), '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?') THEN CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(TRIM("ts"))) AS TIMESTAMP_NTZ) END AS "__typed_ts" FROM __source))),
__stage_0 AS (SELECT * REPLACE (CAST(lower("service") AS VARCHAR) AS "service")
  FROM __typed),
__stage_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("service" IN ('voice', 'sms', 'data')), false)) THEN 'R\x1fknown_service\x1funknown_service\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_0),
__stage_2 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1funits_to_integer\x1finvalid_units\x1f' || coalesce('units=' || coalesce('"' || replace("units", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "units")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("units", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("units"), 18, 0) END AS __converted FROM __stage_1)),
__stage_3 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("units" >= CAST(0 AS BIGINT)), false)) THEN 'R\x1fnon_negative_units\x1fnegative_units\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_2),
__stage_4 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "cdr_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_cdrs\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_cdrs\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "cdr_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("cdr_id", "ts", "msisdn", "service", "units") AS __payload, first_value(hash("cdr_id", "ts", "msisdn", "service", "units")) OVER (PARTITION BY "cdr_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_3)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_4),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("msisdn" IS NULL OR CAST("msisdn" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_msisdn\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_1)
SELECT __account, TO_VARCHAR(CONVERT_TIMEZONE('Europe/Paris', 'UTC', __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(CONVERT_TIMEZONE('Europe/Paris', 'UTC', DATEADD('month', 1, __local_start)), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __d0, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 'telecom-tod', __account, TO_VARCHAR(CONVERT_TIMEZONE('Europe/Paris', 'UTC', __local_start), 'YYYY-MM-DD HH24:MI:SS'), 'calls', CAST(__version AS VARCHAR), coalesce(__d0, CHR(0))), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, __d0, CAST(sum(__value) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("msisdn" AS VARCHAR) AS __account, DATE_TRUNC('month', CONVERT_TIMEZONE('UTC', 'Europe/Paris', "ts")) AS __local_start,
    0 AS __version, CASE WHEN DAYOFWEEKISO(CONVERT_TIMEZONE('UTC', 'Europe/Paris', "ts")) IN (1, 2, 3, 4, 5) AND (HOUR(CONVERT_TIMEZONE('UTC', 'Europe/Paris', "ts")) * 60 + MINUTE(CONVERT_TIMEZONE('UTC', 'Europe/Paris', "ts"))) >= 480 AND (HOUR(CONVERT_TIMEZONE('UTC', 'Europe/Paris', "ts")) * 60 + MINUTE(CONVERT_TIMEZONE('UTC', 'Europe/Paris', "ts"))) < 1200 THEN 'peak' ELSE 'off_peak' END AS __d0,
    (CASE WHEN ("units" > CAST(0 AS BIGINT)) THEN GREATEST_IGNORE_NULLS("units", CAST(60 AS BIGINT)) ELSE CAST(0 AS BIGINT) END) AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("service" = 'voice'), false)) AS __e
    GROUP BY __account, __local_start, __version, __d0)
ORDER BY __account, __period_start, CAST(__version AS INTEGER), __d0 NULLS FIRST;

-- charge:data
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "cdr_id", "ts", "msisdn", "service", "units") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("cdr_id" AS VARCHAR) AS "cdr_id", CAST("ts" AS VARCHAR) AS "ts", CAST("msisdn" AS VARCHAR) AS "msisdn", CAST("service" AS VARCHAR) AS "service", CAST("units" AS VARCHAR) AS "units"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "cdr_id", "__typed_ts" AS "ts", "msisdn", "service", "units"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "cdr_id" IS NULL OR trim("cdr_id") = '' THEN 'missing_cdr_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "msisdn" IS NULL OR trim("msisdn") = '' THEN 'missing_msisdn' WHEN "service" IS NULL OR trim("service") = '' THEN 'missing_service' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "cdr_id" IS NULL OR trim("cdr_id") = '' THEN 'cdr_id=' || coalesce('"' || replace("cdr_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "msisdn" IS NULL OR trim("msisdn") = '' THEN 'msisdn=' || coalesce('"' || replace("msisdn", '"', '""') || '"', 'null') WHEN "service" IS NULL OR trim("service") = '' THEN 'service=' || coalesce('"' || replace("service", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN REGEXP_LIKE(TRIM("ts"), '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?') THEN CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(TRIM("ts"))) AS TIMESTAMP_NTZ) END AS "__typed_ts" FROM __source))),
__stage_0 AS (SELECT * REPLACE (CAST(lower("service") AS VARCHAR) AS "service")
  FROM __typed),
__stage_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("service" IN ('voice', 'sms', 'data')), false)) THEN 'R\x1fknown_service\x1funknown_service\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_0),
__stage_2 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1funits_to_integer\x1finvalid_units\x1f' || coalesce('units=' || coalesce('"' || replace("units", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "units")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("units", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("units"), 18, 0) END AS __converted FROM __stage_1)),
__stage_3 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("units" >= CAST(0 AS BIGINT)), false)) THEN 'R\x1fnon_negative_units\x1fnegative_units\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_2),
__stage_4 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "cdr_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_cdrs\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_cdrs\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "cdr_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("cdr_id", "ts", "msisdn", "service", "units") AS __payload, first_value(hash("cdr_id", "ts", "msisdn", "service", "units")) OVER (PARTITION BY "cdr_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_3)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_4),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("msisdn" IS NULL OR CAST("msisdn" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_msisdn\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_1)
SELECT __account, TO_VARCHAR(CONVERT_TIMEZONE('Europe/Paris', 'UTC', __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(CONVERT_TIMEZONE('Europe/Paris', 'UTC', DATEADD('month', 1, __local_start)), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 'telecom-tod', __account, TO_VARCHAR(CONVERT_TIMEZONE('Europe/Paris', 'UTC', __local_start), 'YYYY-MM-DD HH24:MI:SS'), 'data', CAST(__version AS VARCHAR)), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, CAST(sum(__value) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("msisdn" AS VARCHAR) AS __account, DATE_TRUNC('month', CONVERT_TIMEZONE('UTC', 'Europe/Paris', "ts")) AS __local_start,
    0 AS __version,
    (CAST("units" AS NUMBER(38, 0)) * CAST('0.000001' AS NUMBER(38, 6))) AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("service" = 'data'), false)) AS __e
    GROUP BY __account, __local_start, __version)
ORDER BY __account, __period_start, CAST(__version AS INTEGER);

-- charge:sms
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "cdr_id", "ts", "msisdn", "service", "units") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("cdr_id" AS VARCHAR) AS "cdr_id", CAST("ts" AS VARCHAR) AS "ts", CAST("msisdn" AS VARCHAR) AS "msisdn", CAST("service" AS VARCHAR) AS "service", CAST("units" AS VARCHAR) AS "units"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "cdr_id", "__typed_ts" AS "ts", "msisdn", "service", "units"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "cdr_id" IS NULL OR trim("cdr_id") = '' THEN 'missing_cdr_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "msisdn" IS NULL OR trim("msisdn") = '' THEN 'missing_msisdn' WHEN "service" IS NULL OR trim("service") = '' THEN 'missing_service' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "cdr_id" IS NULL OR trim("cdr_id") = '' THEN 'cdr_id=' || coalesce('"' || replace("cdr_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "msisdn" IS NULL OR trim("msisdn") = '' THEN 'msisdn=' || coalesce('"' || replace("msisdn", '"', '""') || '"', 'null') WHEN "service" IS NULL OR trim("service") = '' THEN 'service=' || coalesce('"' || replace("service", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN REGEXP_LIKE(TRIM("ts"), '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?') THEN CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(TRIM("ts"))) AS TIMESTAMP_NTZ) END AS "__typed_ts" FROM __source))),
__stage_0 AS (SELECT * REPLACE (CAST(lower("service") AS VARCHAR) AS "service")
  FROM __typed),
__stage_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("service" IN ('voice', 'sms', 'data')), false)) THEN 'R\x1fknown_service\x1funknown_service\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_0),
__stage_2 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1funits_to_integer\x1finvalid_units\x1f' || coalesce('units=' || coalesce('"' || replace("units", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "units")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("units", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("units"), 18, 0) END AS __converted FROM __stage_1)),
__stage_3 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("units" >= CAST(0 AS BIGINT)), false)) THEN 'R\x1fnon_negative_units\x1fnegative_units\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_2),
__stage_4 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "cdr_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_cdrs\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_cdrs\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "cdr_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("cdr_id", "ts", "msisdn", "service", "units") AS __payload, first_value(hash("cdr_id", "ts", "msisdn", "service", "units")) OVER (PARTITION BY "cdr_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_3)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_4),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("msisdn" IS NULL OR CAST("msisdn" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_msisdn\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_1)
SELECT __account, TO_VARCHAR(CONVERT_TIMEZONE('Europe/Paris', 'UTC', __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(CONVERT_TIMEZONE('Europe/Paris', 'UTC', DATEADD('month', 1, __local_start)), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 'telecom-tod', __account, TO_VARCHAR(CONVERT_TIMEZONE('Europe/Paris', 'UTC', __local_start), 'YYYY-MM-DD HH24:MI:SS'), 'sms', CAST(__version AS VARCHAR)), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, CAST(sum(__value) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("msisdn" AS VARCHAR) AS __account, DATE_TRUNC('month', CONVERT_TIMEZONE('UTC', 'Europe/Paris', "ts")) AS __local_start,
    0 AS __version,
    "units" AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("service" = 'sms'), false)) AS __e
    GROUP BY __account, __local_start, __version)
ORDER BY __account, __period_start, CAST(__version AS INTEGER);
