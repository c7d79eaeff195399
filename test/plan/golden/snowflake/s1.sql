-- session
ALTER SESSION SET TIMEZONE = 'UTC'
  TIMESTAMP_NTZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9'
  TIMESTAMP_LTZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM'
  TIMESTAMP_TZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM'
  DATE_OUTPUT_FORMAT = 'YYYY-MM-DD';

-- outcomes
WITH __source AS (SELECT 0 AS __file, CAST("LOAD_SEQ" AS BIGINT) AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("account_id" AS VARCHAR) AS "account_id", CAST("ts" AS VARCHAR) AS "ts", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "account_id", "ts", "metric", "region", "quantity"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL END AS __detail
    FROM (SELECT * FROM __source))),
__stage_0 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_number\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __typed)),
__stage_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fquantity_sign\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_0),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce((("account_id" IS NOT NULL) AND ("account_id" <> '')), false)) THEN 'R\x1faccount_present\x1fmissing_account\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1ftime\x1finvalid_timestamp\x1f' || coalesce('ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "ts")
  FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS __converted FROM __stage_2)),
__stage_4 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_call', 'storage_gb_hour', 'compute_sec', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_3),
__stage_5 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fredeliveries\x1fduplicate\x1f'
      ELSE 'R\x1fredeliveries\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "account_id", "ts", "metric", "region", "quantity") AS __payload, first_value(hash("event_id", "account_id", "ts", "metric", "region", "quantity")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_4)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_5),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("account_id" IS NULL OR CAST("account_id" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_account_id\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_1)
SELECT __status, __stage, __reason, count(*) AS __rows
  FROM __events
  GROUP BY __status, __stage, __reason
  ORDER BY __status NULLS FIRST, __stage, __reason;

-- rejects
WITH __source AS (SELECT 0 AS __file, CAST("LOAD_SEQ" AS BIGINT) AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("account_id" AS VARCHAR) AS "account_id", CAST("ts" AS VARCHAR) AS "ts", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "account_id", "ts", "metric", "region", "quantity"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL END AS __detail
    FROM (SELECT * FROM __source))),
__stage_0 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_number\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __typed)),
__stage_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fquantity_sign\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_0),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce((("account_id" IS NOT NULL) AND ("account_id" <> '')), false)) THEN 'R\x1faccount_present\x1fmissing_account\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1ftime\x1finvalid_timestamp\x1f' || coalesce('ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "ts")
  FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS __converted FROM __stage_2)),
__stage_4 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_call', 'storage_gb_hour', 'compute_sec', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_3),
__stage_5 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fredeliveries\x1fduplicate\x1f'
      ELSE 'R\x1fredeliveries\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "account_id", "ts", "metric", "region", "quantity") AS __payload, first_value(hash("event_id", "account_id", "ts", "metric", "region", "quantity")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_4)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_5),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("account_id" IS NULL OR CAST("account_id" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_account_id\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_1)
SELECT __line, __stage, __reason, __detail
  FROM __events
  WHERE __status = 'R'
  QUALIFY row_number() OVER (PARTITION BY __file, __line ORDER BY __split) = 1
  ORDER BY __line
  LIMIT 10000;

-- charge:api_call
WITH __source AS (SELECT 0 AS __file, CAST("LOAD_SEQ" AS BIGINT) AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("account_id" AS VARCHAR) AS "account_id", CAST("ts" AS VARCHAR) AS "ts", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "account_id", "ts", "metric", "region", "quantity"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL END AS __detail
    FROM (SELECT * FROM __source))),
__stage_0 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_number\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __typed)),
__stage_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fquantity_sign\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_0),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce((("account_id" IS NOT NULL) AND ("account_id" <> '')), false)) THEN 'R\x1faccount_present\x1fmissing_account\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1ftime\x1finvalid_timestamp\x1f' || coalesce('ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "ts")
  FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS __converted FROM __stage_2)),
__stage_4 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_call', 'storage_gb_hour', 'compute_sec', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_3),
__stage_5 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fredeliveries\x1fduplicate\x1f'
      ELSE 'R\x1fredeliveries\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "account_id", "ts", "metric", "region", "quantity") AS __payload, first_value(hash("event_id", "account_id", "ts", "metric", "region", "quantity")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_4)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_5),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("account_id" IS NULL OR CAST("account_id" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_account_id\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_1)
SELECT __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(DATEADD('month', 1, __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 's1', __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS'), 'api_call', CAST(__version AS VARCHAR)), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, CAST(sum(__value) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("account_id" AS VARCHAR) AS __account, DATE_TRUNC('month', "ts") AS __local_start,
    0 AS __version,
    "quantity" AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("metric" = 'api_call'), false)) AS __e
    GROUP BY __account, __local_start, __version)
ORDER BY __account, __period_start, CAST(__version AS INTEGER);

-- charge:storage_gb_hour
WITH __source AS (SELECT 0 AS __file, CAST("LOAD_SEQ" AS BIGINT) AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("account_id" AS VARCHAR) AS "account_id", CAST("ts" AS VARCHAR) AS "ts", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "account_id", "ts", "metric", "region", "quantity"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL END AS __detail
    FROM (SELECT * FROM __source))),
__stage_0 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_number\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __typed)),
__stage_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fquantity_sign\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_0),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce((("account_id" IS NOT NULL) AND ("account_id" <> '')), false)) THEN 'R\x1faccount_present\x1fmissing_account\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1ftime\x1finvalid_timestamp\x1f' || coalesce('ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "ts")
  FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS __converted FROM __stage_2)),
__stage_4 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_call', 'storage_gb_hour', 'compute_sec', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_3),
__stage_5 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fredeliveries\x1fduplicate\x1f'
      ELSE 'R\x1fredeliveries\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "account_id", "ts", "metric", "region", "quantity") AS __payload, first_value(hash("event_id", "account_id", "ts", "metric", "region", "quantity")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_4)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_5),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("account_id" IS NULL OR CAST("account_id" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_account_id\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_1)
SELECT __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(DATEADD('month', 1, __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __d0, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 's1', __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS'), 'storage_gb_hour', CAST(__version AS VARCHAR), coalesce(__d0, CHR(0))), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, __d0, CAST(sum(__value) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("account_id" AS VARCHAR) AS __account, DATE_TRUNC('month', "ts") AS __local_start,
    0 AS __version, CAST("region" AS VARCHAR) AS __d0,
    "quantity" AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("metric" = 'storage_gb_hour'), false)) AS __e
    GROUP BY __account, __local_start, __version, __d0)
ORDER BY __account, __period_start, CAST(__version AS INTEGER), __d0 NULLS FIRST;

-- charge:compute_sec
WITH __source AS (SELECT 0 AS __file, CAST("LOAD_SEQ" AS BIGINT) AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("account_id" AS VARCHAR) AS "account_id", CAST("ts" AS VARCHAR) AS "ts", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "account_id", "ts", "metric", "region", "quantity"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL END AS __detail
    FROM (SELECT * FROM __source))),
__stage_0 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_number\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __typed)),
__stage_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fquantity_sign\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_0),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce((("account_id" IS NOT NULL) AND ("account_id" <> '')), false)) THEN 'R\x1faccount_present\x1fmissing_account\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1ftime\x1finvalid_timestamp\x1f' || coalesce('ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "ts")
  FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS __converted FROM __stage_2)),
__stage_4 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_call', 'storage_gb_hour', 'compute_sec', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_3),
__stage_5 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fredeliveries\x1fduplicate\x1f'
      ELSE 'R\x1fredeliveries\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "account_id", "ts", "metric", "region", "quantity") AS __payload, first_value(hash("event_id", "account_id", "ts", "metric", "region", "quantity")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_4)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_5),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("account_id" IS NULL OR CAST("account_id" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_account_id\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_1)
SELECT __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(DATEADD('month', 1, __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __d0, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 's1', __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS'), 'compute_sec', CAST(__version AS VARCHAR), coalesce(__d0, CHR(0))), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, __d0, CAST(sum(__value) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("account_id" AS VARCHAR) AS __account, DATE_TRUNC('month', "ts") AS __local_start,
    0 AS __version, CASE WHEN DAYOFWEEKISO("ts") IN (1, 2, 3, 4, 5) AND (HOUR("ts") * 60 + MINUTE("ts")) >= 480 AND (HOUR("ts") * 60 + MINUTE("ts")) < 1200 THEN 'peak' ELSE 'offpeak' END AS __d0,
    "quantity" AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("metric" = 'compute_sec'), false)) AS __e
    GROUP BY __account, __local_start, __version, __d0)
ORDER BY __account, __period_start, CAST(__version AS INTEGER), __d0 NULLS FIRST;

-- charge:egress_gb
WITH __source AS (SELECT 0 AS __file, CAST("LOAD_SEQ" AS BIGINT) AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("account_id" AS VARCHAR) AS "account_id", CAST("ts" AS VARCHAR) AS "ts", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "account_id", "ts", "metric", "region", "quantity"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL END AS __detail
    FROM (SELECT * FROM __source))),
__stage_0 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_number\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __typed)),
__stage_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fquantity_sign\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_0),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce((("account_id" IS NOT NULL) AND ("account_id" <> '')), false)) THEN 'R\x1faccount_present\x1fmissing_account\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1ftime\x1finvalid_timestamp\x1f' || coalesce('ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "ts")
  FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS __converted FROM __stage_2)),
__stage_4 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_call', 'storage_gb_hour', 'compute_sec', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_3),
__stage_5 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fredeliveries\x1fduplicate\x1f'
      ELSE 'R\x1fredeliveries\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "account_id", "ts", "metric", "region", "quantity") AS __payload, first_value(hash("event_id", "account_id", "ts", "metric", "region", "quantity")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_4)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_5),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("account_id" IS NULL OR CAST("account_id" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_account_id\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_1)
SELECT __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(DATEADD('month', 1, __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __d0, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 's1', __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS'), 'egress_gb', CAST(__version AS VARCHAR), coalesce(__d0, CHR(0))), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, __d0, CAST(sum(__value) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("account_id" AS VARCHAR) AS __account, DATE_TRUNC('month', "ts") AS __local_start,
    0 AS __version, CAST("region" AS VARCHAR) AS __d0,
    "quantity" AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("metric" = 'egress_gb'), false)) AS __e
    GROUP BY __account, __local_start, __version, __d0)
ORDER BY __account, __period_start, CAST(__version AS INTEGER), __d0 NULLS FIRST;
