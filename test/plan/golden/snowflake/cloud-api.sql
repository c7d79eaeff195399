-- session
ALTER SESSION SET TIMEZONE = 'UTC'
  TIMESTAMP_NTZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9'
  TIMESTAMP_LTZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM'
  TIMESTAMP_TZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM'
  DATE_OUTPUT_FORMAT = 'YYYY-MM-DD';

-- reference:accounts
SELECT CAST("account_id" AS VARCHAR) AS k, count(*) AS n FROM TALLY.REFERENCE.ACCOUNTS GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 5;

-- outcomes
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "event_id", "ts", "account_id", "metric", "region", "quantity", "caller") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("ts" AS VARCHAR) AS "ts", CAST("account_id" AS VARCHAR) AS "account_id", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity", CAST("caller" AS VARCHAR) AS "caller"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "__typed_ts" AS "ts", "account_id", "metric", "region", "quantity", "caller"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'missing_event_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'missing_account' WHEN "metric" IS NULL OR trim("metric") = '' THEN 'missing_metric' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'event_id=' || coalesce('"' || replace("event_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'account_id=' || coalesce('"' || replace("account_id", '"', '""') || '"', 'null') WHEN "metric" IS NULL OR trim("metric") = '' THEN 'metric=' || coalesce('"' || replace("metric", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS "__typed_ts" FROM __source))),
__stage_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce((lower(coalesce("caller", '')) = 'internal-healthcheck'), false)) THEN 'F\x1fdrop_health_checks\x1ffiltered\x1f' ELSE __outcome END AS __outcome)
  FROM __typed),
__stage_1 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_to_decimal\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __stage_0)),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fnon_negative_quantity\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_request', 'storage_gb_hours', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_2),
__stage_4 AS (SELECT *, CASE CAST("region" AS VARCHAR) WHEN 'us-east-1' THEN 'us-east' WHEN 'eu-west-1' THEN 'eu-west' WHEN 'ap-south-1' THEN 'ap-south' ELSE NULL END AS "billing_region"
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (CAST("region" AS VARCHAR) IS NULL OR CAST("region" AS VARCHAR) NOT IN ('us-east-1', 'eu-west-1', 'ap-south-1')) THEN ('R\x1fbilling_region\x1funknown_region\x1f' || coalesce('region=' || coalesce('"' || replace(CAST("region" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM __stage_3)),
__stage_5 AS (SELECT * EXCLUDE (__matched)
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT __matched) THEN ('R\x1faccounts\x1funknown_account\x1f' || coalesce('account_id=' || coalesce('"' || replace(CAST("account_id" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM (SELECT __t.*, __ref.__ref_key IS NOT NULL AS __matched, CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."plan" AS VARCHAR) ELSE NULL END AS "plan", CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."parent_account" AS VARCHAR) ELSE NULL END AS "parent_account"
  FROM __stage_4 AS __t LEFT JOIN (SELECT CAST("account_id" AS VARCHAR) AS __ref_key, "plan", "parent_account" FROM TALLY.REFERENCE.ACCOUNTS) AS __ref ON CAST(__t."account_id" AS VARCHAR) = __ref.__ref_key))),
__stage_6 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_records\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_records\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account") AS __payload, first_value(hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_5)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_6),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("parent_account" IS NULL OR CAST("parent_account" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_parent_account\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__guard_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce(("metric" = 'storage_gb_hours'), false) AND (CAST("billing_region" AS VARCHAR) IS NULL OR CAST("billing_region" AS VARCHAR) NOT IN ('us-east', 'eu-west', 'ap-south'))) THEN 'R\x1fprice:storage\x1funpriced_region\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_1),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_2)
SELECT __status, __stage, __reason, count(*) AS __rows
  FROM __events
  GROUP BY __status, __stage, __reason
  ORDER BY __status NULLS FIRST, __stage, __reason;

-- rejects
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "event_id", "ts", "account_id", "metric", "region", "quantity", "caller") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("ts" AS VARCHAR) AS "ts", CAST("account_id" AS VARCHAR) AS "account_id", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity", CAST("caller" AS VARCHAR) AS "caller"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "__typed_ts" AS "ts", "account_id", "metric", "region", "quantity", "caller"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'missing_event_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'missing_account' WHEN "metric" IS NULL OR trim("metric") = '' THEN 'missing_metric' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'event_id=' || coalesce('"' || replace("event_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'account_id=' || coalesce('"' || replace("account_id", '"', '""') || '"', 'null') WHEN "metric" IS NULL OR trim("metric") = '' THEN 'metric=' || coalesce('"' || replace("metric", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS "__typed_ts" FROM __source))),
__stage_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce((lower(coalesce("caller", '')) = 'internal-healthcheck'), false)) THEN 'F\x1fdrop_health_checks\x1ffiltered\x1f' ELSE __outcome END AS __outcome)
  FROM __typed),
__stage_1 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_to_decimal\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __stage_0)),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fnon_negative_quantity\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_request', 'storage_gb_hours', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_2),
__stage_4 AS (SELECT *, CASE CAST("region" AS VARCHAR) WHEN 'us-east-1' THEN 'us-east' WHEN 'eu-west-1' THEN 'eu-west' WHEN 'ap-south-1' THEN 'ap-south' ELSE NULL END AS "billing_region"
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (CAST("region" AS VARCHAR) IS NULL OR CAST("region" AS VARCHAR) NOT IN ('us-east-1', 'eu-west-1', 'ap-south-1')) THEN ('R\x1fbilling_region\x1funknown_region\x1f' || coalesce('region=' || coalesce('"' || replace(CAST("region" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM __stage_3)),
__stage_5 AS (SELECT * EXCLUDE (__matched)
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT __matched) THEN ('R\x1faccounts\x1funknown_account\x1f' || coalesce('account_id=' || coalesce('"' || replace(CAST("account_id" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM (SELECT __t.*, __ref.__ref_key IS NOT NULL AS __matched, CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."plan" AS VARCHAR) ELSE NULL END AS "plan", CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."parent_account" AS VARCHAR) ELSE NULL END AS "parent_account"
  FROM __stage_4 AS __t LEFT JOIN (SELECT CAST("account_id" AS VARCHAR) AS __ref_key, "plan", "parent_account" FROM TALLY.REFERENCE.ACCOUNTS) AS __ref ON CAST(__t."account_id" AS VARCHAR) = __ref.__ref_key))),
__stage_6 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_records\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_records\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account") AS __payload, first_value(hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_5)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_6),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("parent_account" IS NULL OR CAST("parent_account" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_parent_account\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__guard_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce(("metric" = 'storage_gb_hours'), false) AND (CAST("billing_region" AS VARCHAR) IS NULL OR CAST("billing_region" AS VARCHAR) NOT IN ('us-east', 'eu-west', 'ap-south'))) THEN 'R\x1fprice:storage\x1funpriced_region\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_1),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_2)
SELECT __line, __stage, __reason, __detail
  FROM __events
  WHERE __status = 'R'
  QUALIFY row_number() OVER (PARTITION BY __file, __line ORDER BY __split) = 1
  ORDER BY __line
  LIMIT 10000;

-- charge:api_requests
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "event_id", "ts", "account_id", "metric", "region", "quantity", "caller") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("ts" AS VARCHAR) AS "ts", CAST("account_id" AS VARCHAR) AS "account_id", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity", CAST("caller" AS VARCHAR) AS "caller"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "__typed_ts" AS "ts", "account_id", "metric", "region", "quantity", "caller"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'missing_event_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'missing_account' WHEN "metric" IS NULL OR trim("metric") = '' THEN 'missing_metric' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'event_id=' || coalesce('"' || replace("event_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'account_id=' || coalesce('"' || replace("account_id", '"', '""') || '"', 'null') WHEN "metric" IS NULL OR trim("metric") = '' THEN 'metric=' || coalesce('"' || replace("metric", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS "__typed_ts" FROM __source))),
__stage_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce((lower(coalesce("caller", '')) = 'internal-healthcheck'), false)) THEN 'F\x1fdrop_health_checks\x1ffiltered\x1f' ELSE __outcome END AS __outcome)
  FROM __typed),
__stage_1 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_to_decimal\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __stage_0)),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fnon_negative_quantity\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_request', 'storage_gb_hours', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_2),
__stage_4 AS (SELECT *, CASE CAST("region" AS VARCHAR) WHEN 'us-east-1' THEN 'us-east' WHEN 'eu-west-1' THEN 'eu-west' WHEN 'ap-south-1' THEN 'ap-south' ELSE NULL END AS "billing_region"
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (CAST("region" AS VARCHAR) IS NULL OR CAST("region" AS VARCHAR) NOT IN ('us-east-1', 'eu-west-1', 'ap-south-1')) THEN ('R\x1fbilling_region\x1funknown_region\x1f' || coalesce('region=' || coalesce('"' || replace(CAST("region" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM __stage_3)),
__stage_5 AS (SELECT * EXCLUDE (__matched)
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT __matched) THEN ('R\x1faccounts\x1funknown_account\x1f' || coalesce('account_id=' || coalesce('"' || replace(CAST("account_id" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM (SELECT __t.*, __ref.__ref_key IS NOT NULL AS __matched, CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."plan" AS VARCHAR) ELSE NULL END AS "plan", CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."parent_account" AS VARCHAR) ELSE NULL END AS "parent_account"
  FROM __stage_4 AS __t LEFT JOIN (SELECT CAST("account_id" AS VARCHAR) AS __ref_key, "plan", "parent_account" FROM TALLY.REFERENCE.ACCOUNTS) AS __ref ON CAST(__t."account_id" AS VARCHAR) = __ref.__ref_key))),
__stage_6 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_records\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_records\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account") AS __payload, first_value(hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_5)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_6),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("parent_account" IS NULL OR CAST("parent_account" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_parent_account\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__guard_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce(("metric" = 'storage_gb_hours'), false) AND (CAST("billing_region" AS VARCHAR) IS NULL OR CAST("billing_region" AS VARCHAR) NOT IN ('us-east', 'eu-west', 'ap-south'))) THEN 'R\x1fprice:storage\x1funpriced_region\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_1),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_2)
SELECT __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(DATEADD('month', 1, __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 'cloud-api', __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS'), 'api_requests', CAST(__version AS VARCHAR)), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, CAST(sum(__value) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("parent_account" AS VARCHAR) AS __account, DATE_TRUNC('month', "ts") AS __local_start,
    0 AS __version,
    "quantity" AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("metric" = 'api_request'), false)) AS __e
    GROUP BY __account, __local_start, __version)
ORDER BY __account, __period_start, CAST(__version AS INTEGER);

-- charge:egress
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "event_id", "ts", "account_id", "metric", "region", "quantity", "caller") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("ts" AS VARCHAR) AS "ts", CAST("account_id" AS VARCHAR) AS "account_id", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity", CAST("caller" AS VARCHAR) AS "caller"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "__typed_ts" AS "ts", "account_id", "metric", "region", "quantity", "caller"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'missing_event_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'missing_account' WHEN "metric" IS NULL OR trim("metric") = '' THEN 'missing_metric' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'event_id=' || coalesce('"' || replace("event_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'account_id=' || coalesce('"' || replace("account_id", '"', '""') || '"', 'null') WHEN "metric" IS NULL OR trim("metric") = '' THEN 'metric=' || coalesce('"' || replace("metric", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS "__typed_ts" FROM __source))),
__stage_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce((lower(coalesce("caller", '')) = 'internal-healthcheck'), false)) THEN 'F\x1fdrop_health_checks\x1ffiltered\x1f' ELSE __outcome END AS __outcome)
  FROM __typed),
__stage_1 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_to_decimal\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __stage_0)),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fnon_negative_quantity\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_request', 'storage_gb_hours', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_2),
__stage_4 AS (SELECT *, CASE CAST("region" AS VARCHAR) WHEN 'us-east-1' THEN 'us-east' WHEN 'eu-west-1' THEN 'eu-west' WHEN 'ap-south-1' THEN 'ap-south' ELSE NULL END AS "billing_region"
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (CAST("region" AS VARCHAR) IS NULL OR CAST("region" AS VARCHAR) NOT IN ('us-east-1', 'eu-west-1', 'ap-south-1')) THEN ('R\x1fbilling_region\x1funknown_region\x1f' || coalesce('region=' || coalesce('"' || replace(CAST("region" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM __stage_3)),
__stage_5 AS (SELECT * EXCLUDE (__matched)
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT __matched) THEN ('R\x1faccounts\x1funknown_account\x1f' || coalesce('account_id=' || coalesce('"' || replace(CAST("account_id" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM (SELECT __t.*, __ref.__ref_key IS NOT NULL AS __matched, CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."plan" AS VARCHAR) ELSE NULL END AS "plan", CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."parent_account" AS VARCHAR) ELSE NULL END AS "parent_account"
  FROM __stage_4 AS __t LEFT JOIN (SELECT CAST("account_id" AS VARCHAR) AS __ref_key, "plan", "parent_account" FROM TALLY.REFERENCE.ACCOUNTS) AS __ref ON CAST(__t."account_id" AS VARCHAR) = __ref.__ref_key))),
__stage_6 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_records\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_records\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account") AS __payload, first_value(hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_5)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_6),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("parent_account" IS NULL OR CAST("parent_account" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_parent_account\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__guard_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce(("metric" = 'storage_gb_hours'), false) AND (CAST("billing_region" AS VARCHAR) IS NULL OR CAST("billing_region" AS VARCHAR) NOT IN ('us-east', 'eu-west', 'ap-south'))) THEN 'R\x1fprice:storage\x1funpriced_region\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_1),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_2)
SELECT __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(DATEADD('month', 1, __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __d0, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 'cloud-api', __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS'), 'egress', CAST(__version AS VARCHAR), coalesce(__d0, CHR(0))), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, __d0, CAST(sum(__value) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("parent_account" AS VARCHAR) AS __account, DATE_TRUNC('month', "ts") AS __local_start,
    0 AS __version, CAST("billing_region" AS VARCHAR) AS __d0,
    "quantity" AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("metric" = 'egress_gb'), false)) AS __e
    GROUP BY __account, __local_start, __version, __d0)
ORDER BY __account, __period_start, CAST(__version AS INTEGER), __d0 NULLS FIRST;

-- charge:platform_fee
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "event_id", "ts", "account_id", "metric", "region", "quantity", "caller") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("ts" AS VARCHAR) AS "ts", CAST("account_id" AS VARCHAR) AS "account_id", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity", CAST("caller" AS VARCHAR) AS "caller"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "__typed_ts" AS "ts", "account_id", "metric", "region", "quantity", "caller"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'missing_event_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'missing_account' WHEN "metric" IS NULL OR trim("metric") = '' THEN 'missing_metric' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'event_id=' || coalesce('"' || replace("event_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'account_id=' || coalesce('"' || replace("account_id", '"', '""') || '"', 'null') WHEN "metric" IS NULL OR trim("metric") = '' THEN 'metric=' || coalesce('"' || replace("metric", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS "__typed_ts" FROM __source))),
__stage_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce((lower(coalesce("caller", '')) = 'internal-healthcheck'), false)) THEN 'F\x1fdrop_health_checks\x1ffiltered\x1f' ELSE __outcome END AS __outcome)
  FROM __typed),
__stage_1 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_to_decimal\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __stage_0)),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fnon_negative_quantity\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_request', 'storage_gb_hours', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_2),
__stage_4 AS (SELECT *, CASE CAST("region" AS VARCHAR) WHEN 'us-east-1' THEN 'us-east' WHEN 'eu-west-1' THEN 'eu-west' WHEN 'ap-south-1' THEN 'ap-south' ELSE NULL END AS "billing_region"
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (CAST("region" AS VARCHAR) IS NULL OR CAST("region" AS VARCHAR) NOT IN ('us-east-1', 'eu-west-1', 'ap-south-1')) THEN ('R\x1fbilling_region\x1funknown_region\x1f' || coalesce('region=' || coalesce('"' || replace(CAST("region" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM __stage_3)),
__stage_5 AS (SELECT * EXCLUDE (__matched)
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT __matched) THEN ('R\x1faccounts\x1funknown_account\x1f' || coalesce('account_id=' || coalesce('"' || replace(CAST("account_id" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM (SELECT __t.*, __ref.__ref_key IS NOT NULL AS __matched, CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."plan" AS VARCHAR) ELSE NULL END AS "plan", CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."parent_account" AS VARCHAR) ELSE NULL END AS "parent_account"
  FROM __stage_4 AS __t LEFT JOIN (SELECT CAST("account_id" AS VARCHAR) AS __ref_key, "plan", "parent_account" FROM TALLY.REFERENCE.ACCOUNTS) AS __ref ON CAST(__t."account_id" AS VARCHAR) = __ref.__ref_key))),
__stage_6 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_records\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_records\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account") AS __payload, first_value(hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_5)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_6),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("parent_account" IS NULL OR CAST("parent_account" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_parent_account\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__guard_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce(("metric" = 'storage_gb_hours'), false) AND (CAST("billing_region" AS VARCHAR) IS NULL OR CAST("billing_region" AS VARCHAR) NOT IN ('us-east', 'eu-west', 'ap-south'))) THEN 'R\x1fprice:storage\x1funpriced_region\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_1),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_2)
SELECT __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(DATEADD('month', 1, __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 'cloud-api', __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS'), 'platform_fee', CAST(__version AS VARCHAR)), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, CAST(count(*) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("parent_account" AS VARCHAR) AS __account, DATE_TRUNC('month', "ts") AS __local_start,
    0 AS __version,
    NULL AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("plan" <> 'developer'), false)) AS __e
    GROUP BY __account, __local_start, __version)
ORDER BY __account, __period_start, CAST(__version AS INTEGER);

-- charge:storage
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "event_id", "ts", "account_id", "metric", "region", "quantity", "caller") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("event_id" AS VARCHAR) AS "event_id", CAST("ts" AS VARCHAR) AS "ts", CAST("account_id" AS VARCHAR) AS "account_id", CAST("metric" AS VARCHAR) AS "metric", CAST("region" AS VARCHAR) AS "region", CAST("quantity" AS VARCHAR) AS "quantity", CAST("caller" AS VARCHAR) AS "caller"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "event_id", "__typed_ts" AS "ts", "account_id", "metric", "region", "quantity", "caller"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'missing_event_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'missing_account' WHEN "metric" IS NULL OR trim("metric") = '' THEN 'missing_metric' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "event_id" IS NULL OR trim("event_id") = '' THEN 'event_id=' || coalesce('"' || replace("event_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'account_id=' || coalesce('"' || replace("account_id", '"', '""') || '"', 'null') WHEN "metric" IS NULL OR trim("metric") = '' THEN 'metric=' || coalesce('"' || replace("metric", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN "ts" LIKE '____-__-__ __:__:__' AND NOT ("ts" LIKE '% 24:%') THEN TRY_TO_TIMESTAMP_NTZ("ts", 'YYYY-MM-DD HH24:MI:SS') END AS "__typed_ts" FROM __source))),
__stage_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce((lower(coalesce("caller", '')) = 'internal-healthcheck'), false)) THEN 'F\x1fdrop_health_checks\x1ffiltered\x1f' ELSE __outcome END AS __outcome)
  FROM __typed),
__stage_1 AS (SELECT * EXCLUDE (__converted) REPLACE (
    CASE WHEN __outcome IS NULL AND (__converted IS NULL) THEN ('R\x1fquantity_to_decimal\x1finvalid_quantity\x1f' || coalesce('quantity=' || coalesce('"' || replace("quantity", '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome,
    __converted AS "quantity")
  FROM (SELECT *, CASE WHEN REGEXP_LIKE("quantity", ' *[+-]?([0-9]+(\\.[0-9]{0,3})?|\\.[0-9]{1,3}) *') THEN TRY_TO_NUMBER(TRIM("quantity"), 18, 3) END AS __converted FROM __stage_0)),
__stage_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("quantity" >= CAST('0' AS NUMBER(38, 3))), false)) THEN 'R\x1fnon_negative_quantity\x1fnegative_quantity\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_1),
__stage_3 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce(("metric" IN ('api_request', 'storage_gb_hours', 'egress_gb')), false)) THEN 'R\x1fknown_metric\x1funknown_metric\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_2),
__stage_4 AS (SELECT *, CASE CAST("region" AS VARCHAR) WHEN 'us-east-1' THEN 'us-east' WHEN 'eu-west-1' THEN 'eu-west' WHEN 'ap-south-1' THEN 'ap-south' ELSE NULL END AS "billing_region"
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (CAST("region" AS VARCHAR) IS NULL OR CAST("region" AS VARCHAR) NOT IN ('us-east-1', 'eu-west-1', 'ap-south-1')) THEN ('R\x1fbilling_region\x1funknown_region\x1f' || coalesce('region=' || coalesce('"' || replace(CAST("region" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM __stage_3)),
__stage_5 AS (SELECT * EXCLUDE (__matched)
  FROM (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT __matched) THEN ('R\x1faccounts\x1funknown_account\x1f' || coalesce('account_id=' || coalesce('"' || replace(CAST("account_id" AS VARCHAR), '"', '""') || '"', 'null'), '')) ELSE __outcome END AS __outcome)
  FROM (SELECT __t.*, __ref.__ref_key IS NOT NULL AS __matched, CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."plan" AS VARCHAR) ELSE NULL END AS "plan", CASE WHEN __ref.__ref_key IS NOT NULL THEN CAST(__ref."parent_account" AS VARCHAR) ELSE NULL END AS "parent_account"
  FROM __stage_4 AS __t LEFT JOIN (SELECT CAST("account_id" AS VARCHAR) AS __ref_key, "plan", "parent_account" FROM TALLY.REFERENCE.ACCOUNTS) AS __ref ON CAST(__t."account_id" AS VARCHAR) = __ref.__ref_key))),
__stage_6 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "event_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_records\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_records\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account") AS __payload, first_value(hash("event_id", "ts", "account_id", "metric", "region", "quantity", "caller", "billing_region", "plan", "parent_account")) OVER (PARTITION BY "event_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_5)),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_6),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("parent_account" IS NULL OR CAST("parent_account" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_parent_account\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__guard_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce(("metric" = 'storage_gb_hours'), false) AND (CAST("billing_region" AS VARCHAR) IS NULL OR CAST("billing_region" AS VARCHAR) NOT IN ('us-east', 'eu-west', 'ap-south'))) THEN 'R\x1fprice:storage\x1funpriced_region\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_1),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __guard_2)
SELECT __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(DATEADD('month', 1, __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __d0, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 'cloud-api', __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS'), 'storage', CAST(__version AS VARCHAR), coalesce(__d0, CHR(0))), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, __d0, CAST(sum(__value) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("parent_account" AS VARCHAR) AS __account, DATE_TRUNC('month', "ts") AS __local_start,
    0 AS __version, CAST("billing_region" AS VARCHAR) AS __d0,
    "quantity" AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("metric" = 'storage_gb_hours'), false)) AS __e
    GROUP BY __account, __local_start, __version, __d0)
ORDER BY __account, __period_start, CAST(__version AS INTEGER), __d0 NULLS FIRST;
