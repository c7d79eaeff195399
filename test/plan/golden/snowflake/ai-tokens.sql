-- session
ALTER SESSION SET TIMEZONE = 'UTC'
  TIMESTAMP_NTZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9'
  TIMESTAMP_LTZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM'
  TIMESTAMP_TZ_OUTPUT_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM'
  DATE_OUTPUT_FORMAT = 'YYYY-MM-DD';

-- outcomes
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "request_id", "ts", "account_id", "model", "input_tokens", "output_tokens") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("request_id" AS VARCHAR) AS "request_id", CAST("ts" AS VARCHAR) AS "ts", CAST("account_id" AS VARCHAR) AS "account_id", CAST("model" AS VARCHAR) AS "model", CAST("input_tokens" AS VARCHAR) AS "input_tokens", CAST("output_tokens" AS VARCHAR) AS "output_tokens"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "request_id", "__typed_ts" AS "ts", "account_id", "model", "__typed_input_tokens" AS "input_tokens", "__typed_output_tokens" AS "output_tokens"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "request_id" IS NULL OR trim("request_id") = '' THEN 'missing_request_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'missing_account' WHEN "model" IS NULL OR trim("model") = '' THEN 'missing_model' WHEN "input_tokens" IS NULL OR trim("input_tokens") = '' THEN 'missing_tokens' WHEN "input_tokens" IS NOT NULL AND trim("input_tokens") <> '' AND "__typed_input_tokens" IS NULL THEN 'invalid_tokens' WHEN "output_tokens" IS NULL OR trim("output_tokens") = '' THEN 'missing_tokens' WHEN "output_tokens" IS NOT NULL AND trim("output_tokens") <> '' AND "__typed_output_tokens" IS NULL THEN 'invalid_tokens' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "request_id" IS NULL OR trim("request_id") = '' THEN 'request_id=' || coalesce('"' || replace("request_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'account_id=' || coalesce('"' || replace("account_id", '"', '""') || '"', 'null') WHEN "model" IS NULL OR trim("model") = '' THEN 'model=' || coalesce('"' || replace("model", '"', '""') || '"', 'null') WHEN "input_tokens" IS NULL OR trim("input_tokens") = '' THEN 'input_tokens=' || coalesce('"' || replace("input_tokens", '"', '""') || '"', 'null') WHEN "input_tokens" IS NOT NULL AND trim("input_tokens") <> '' AND "__typed_input_tokens" IS NULL THEN 'input_tokens=' || coalesce('"' || replace("input_tokens", '"', '""') || '"', 'null') WHEN "output_tokens" IS NULL OR trim("output_tokens") = '' THEN 'output_tokens=' || coalesce('"' || replace("output_tokens", '"', '""') || '"', 'null') WHEN "output_tokens" IS NOT NULL AND trim("output_tokens") <> '' AND "__typed_output_tokens" IS NULL THEN 'output_tokens=' || coalesce('"' || replace("output_tokens", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN REGEXP_LIKE(TRIM("ts"), '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?') THEN CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(TRIM("ts"))) AS TIMESTAMP_NTZ) END AS "__typed_ts", CASE WHEN REGEXP_LIKE("input_tokens", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("input_tokens"), 18, 0) END AS "__typed_input_tokens", CASE WHEN REGEXP_LIKE("output_tokens", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("output_tokens"), 18, 0) END AS "__typed_output_tokens" FROM __source))),
__stage_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce((("input_tokens" >= CAST(0 AS BIGINT)) AND ("output_tokens" >= CAST(0 AS BIGINT))), false)) THEN 'R\x1fnon_negative_tokens\x1fnegative_tokens\x1f' ELSE __outcome END AS __outcome)
  FROM __typed),
__stage_1 AS (SELECT * REPLACE (CAST(lower("model") AS VARCHAR) AS "model")
  FROM __stage_0),
__stage_2 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "request_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_requests\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_requests\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "request_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("request_id", "ts", "account_id", "model", "input_tokens", "output_tokens") AS __payload, first_value(hash("request_id", "ts", "account_id", "model", "input_tokens", "output_tokens")) OVER (PARTITION BY "request_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_1)),
__stage_3 AS (SELECT * EXCLUDE (__i) REPLACE (CAST(__s.__i AS INTEGER) AS __split), CAST(CASE __s.__i WHEN 0 THEN 'request' WHEN 1 THEN 'input' WHEN 2 THEN 'output' END AS VARCHAR) AS "token_kind", CAST(CASE __s.__i WHEN 0 THEN CAST(1 AS BIGINT) WHEN 1 THEN "input_tokens" WHEN 2 THEN "output_tokens" END AS BIGINT) AS "quantity"
  FROM __stage_2 JOIN (VALUES (0), (1), (2)) AS __s(__i) ON __s.__i = 0 OR __outcome IS NULL),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_3),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("account_id" IS NULL OR CAST("account_id" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_account_id\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__guard_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce(("token_kind" IN ('input', 'output')), false) AND (CASE CASE WHEN "ts" >= CAST(CONVERT_TIMEZONE('UTC', TO_TIMESTAMP_TZ('2026-10-15 00:00:00')) AS TIMESTAMP_NTZ) THEN 1 ELSE 0 END WHEN 0 THEN (CAST("model" AS VARCHAR) IS NULL OR CAST("token_kind" AS VARCHAR) IS NULL OR (CAST("model" AS VARCHAR), CAST("token_kind" AS VARCHAR)) NOT IN (('orca-large', 'input'), ('orca-large', 'output'), ('orca-mini', 'input'), ('orca-mini', 'output'), ('lynx-coder', 'input'), ('lynx-coder', 'output'))) WHEN 1 THEN (CAST("model" AS VARCHAR) IS NULL OR CAST("token_kind" AS VARCHAR) IS NULL OR (CAST("model" AS VARCHAR), CAST("token_kind" AS VARCHAR)) NOT IN (('orca-large', 'input'), ('orca-large', 'output'), ('orca-mini', 'input'), ('orca-mini', 'output'), ('lynx-coder', 'input'), ('lynx-coder', 'output'))) END)) THEN 'R\x1fprice:tokens\x1funknown_model\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_1),
__transactions AS (SELECT * EXCLUDE (__transaction_reject) REPLACE (
    CASE WHEN (__outcome IS NULL OR STARTSWITH(__outcome, 'F')) AND __transaction_reject IS NOT NULL THEN __transaction_reject ELSE __outcome END AS __outcome)
  FROM (SELECT *, min(CASE WHEN STARTSWITH(__outcome, 'R') THEN __outcome END) OVER (PARTITION BY __file, __line) AS __transaction_reject FROM __guard_2)),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __transactions)
SELECT __status, __stage, __reason, count(*) AS __rows
  FROM (SELECT * FROM __events
    QUALIFY row_number() OVER (PARTITION BY __file, __line
      ORDER BY CASE WHEN __outcome IS NULL THEN 0 WHEN __status = 'R' THEN 1 ELSE 2 END, __split) = 1)
  GROUP BY __status, __stage, __reason
  ORDER BY __status NULLS FIRST, __stage, __reason;

-- rejects
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "request_id", "ts", "account_id", "model", "input_tokens", "output_tokens") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("request_id" AS VARCHAR) AS "request_id", CAST("ts" AS VARCHAR) AS "ts", CAST("account_id" AS VARCHAR) AS "account_id", CAST("model" AS VARCHAR) AS "model", CAST("input_tokens" AS VARCHAR) AS "input_tokens", CAST("output_tokens" AS VARCHAR) AS "output_tokens"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "request_id", "__typed_ts" AS "ts", "account_id", "model", "__typed_input_tokens" AS "input_tokens", "__typed_output_tokens" AS "output_tokens"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "request_id" IS NULL OR trim("request_id") = '' THEN 'missing_request_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'missing_account' WHEN "model" IS NULL OR trim("model") = '' THEN 'missing_model' WHEN "input_tokens" IS NULL OR trim("input_tokens") = '' THEN 'missing_tokens' WHEN "input_tokens" IS NOT NULL AND trim("input_tokens") <> '' AND "__typed_input_tokens" IS NULL THEN 'invalid_tokens' WHEN "output_tokens" IS NULL OR trim("output_tokens") = '' THEN 'missing_tokens' WHEN "output_tokens" IS NOT NULL AND trim("output_tokens") <> '' AND "__typed_output_tokens" IS NULL THEN 'invalid_tokens' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "request_id" IS NULL OR trim("request_id") = '' THEN 'request_id=' || coalesce('"' || replace("request_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'account_id=' || coalesce('"' || replace("account_id", '"', '""') || '"', 'null') WHEN "model" IS NULL OR trim("model") = '' THEN 'model=' || coalesce('"' || replace("model", '"', '""') || '"', 'null') WHEN "input_tokens" IS NULL OR trim("input_tokens") = '' THEN 'input_tokens=' || coalesce('"' || replace("input_tokens", '"', '""') || '"', 'null') WHEN "input_tokens" IS NOT NULL AND trim("input_tokens") <> '' AND "__typed_input_tokens" IS NULL THEN 'input_tokens=' || coalesce('"' || replace("input_tokens", '"', '""') || '"', 'null') WHEN "output_tokens" IS NULL OR trim("output_tokens") = '' THEN 'output_tokens=' || coalesce('"' || replace("output_tokens", '"', '""') || '"', 'null') WHEN "output_tokens" IS NOT NULL AND trim("output_tokens") <> '' AND "__typed_output_tokens" IS NULL THEN 'output_tokens=' || coalesce('"' || replace("output_tokens", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN REGEXP_LIKE(TRIM("ts"), '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?') THEN CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(TRIM("ts"))) AS TIMESTAMP_NTZ) END AS "__typed_ts", CASE WHEN REGEXP_LIKE("input_tokens", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("input_tokens"), 18, 0) END AS "__typed_input_tokens", CASE WHEN REGEXP_LIKE("output_tokens", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("output_tokens"), 18, 0) END AS "__typed_output_tokens" FROM __source))),
__stage_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce((("input_tokens" >= CAST(0 AS BIGINT)) AND ("output_tokens" >= CAST(0 AS BIGINT))), false)) THEN 'R\x1fnon_negative_tokens\x1fnegative_tokens\x1f' ELSE __outcome END AS __outcome)
  FROM __typed),
__stage_1 AS (SELECT * REPLACE (CAST(lower("model") AS VARCHAR) AS "model")
  FROM __stage_0),
__stage_2 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "request_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_requests\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_requests\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "request_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("request_id", "ts", "account_id", "model", "input_tokens", "output_tokens") AS __payload, first_value(hash("request_id", "ts", "account_id", "model", "input_tokens", "output_tokens")) OVER (PARTITION BY "request_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_1)),
__stage_3 AS (SELECT * EXCLUDE (__i) REPLACE (CAST(__s.__i AS INTEGER) AS __split), CAST(CASE __s.__i WHEN 0 THEN 'request' WHEN 1 THEN 'input' WHEN 2 THEN 'output' END AS VARCHAR) AS "token_kind", CAST(CASE __s.__i WHEN 0 THEN CAST(1 AS BIGINT) WHEN 1 THEN "input_tokens" WHEN 2 THEN "output_tokens" END AS BIGINT) AS "quantity"
  FROM __stage_2 JOIN (VALUES (0), (1), (2)) AS __s(__i) ON __s.__i = 0 OR __outcome IS NULL),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_3),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("account_id" IS NULL OR CAST("account_id" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_account_id\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__guard_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce(("token_kind" IN ('input', 'output')), false) AND (CASE CASE WHEN "ts" >= CAST(CONVERT_TIMEZONE('UTC', TO_TIMESTAMP_TZ('2026-10-15 00:00:00')) AS TIMESTAMP_NTZ) THEN 1 ELSE 0 END WHEN 0 THEN (CAST("model" AS VARCHAR) IS NULL OR CAST("token_kind" AS VARCHAR) IS NULL OR (CAST("model" AS VARCHAR), CAST("token_kind" AS VARCHAR)) NOT IN (('orca-large', 'input'), ('orca-large', 'output'), ('orca-mini', 'input'), ('orca-mini', 'output'), ('lynx-coder', 'input'), ('lynx-coder', 'output'))) WHEN 1 THEN (CAST("model" AS VARCHAR) IS NULL OR CAST("token_kind" AS VARCHAR) IS NULL OR (CAST("model" AS VARCHAR), CAST("token_kind" AS VARCHAR)) NOT IN (('orca-large', 'input'), ('orca-large', 'output'), ('orca-mini', 'input'), ('orca-mini', 'output'), ('lynx-coder', 'input'), ('lynx-coder', 'output'))) END)) THEN 'R\x1fprice:tokens\x1funknown_model\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_1),
__transactions AS (SELECT * EXCLUDE (__transaction_reject) REPLACE (
    CASE WHEN (__outcome IS NULL OR STARTSWITH(__outcome, 'F')) AND __transaction_reject IS NOT NULL THEN __transaction_reject ELSE __outcome END AS __outcome)
  FROM (SELECT *, min(CASE WHEN STARTSWITH(__outcome, 'R') THEN __outcome END) OVER (PARTITION BY __file, __line) AS __transaction_reject FROM __guard_2)),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __transactions)
SELECT __line, __stage, __reason, __detail
  FROM __events
  WHERE __status = 'R'
  QUALIFY row_number() OVER (PARTITION BY __file, __line ORDER BY __split) = 1
  ORDER BY __line
  LIMIT 10000;

-- charge:requests
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "request_id", "ts", "account_id", "model", "input_tokens", "output_tokens") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("request_id" AS VARCHAR) AS "request_id", CAST("ts" AS VARCHAR) AS "ts", CAST("account_id" AS VARCHAR) AS "account_id", CAST("model" AS VARCHAR) AS "model", CAST("input_tokens" AS VARCHAR) AS "input_tokens", CAST("output_tokens" AS VARCHAR) AS "output_tokens"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "request_id", "__typed_ts" AS "ts", "account_id", "model", "__typed_input_tokens" AS "input_tokens", "__typed_output_tokens" AS "output_tokens"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "request_id" IS NULL OR trim("request_id") = '' THEN 'missing_request_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'missing_account' WHEN "model" IS NULL OR trim("model") = '' THEN 'missing_model' WHEN "input_tokens" IS NULL OR trim("input_tokens") = '' THEN 'missing_tokens' WHEN "input_tokens" IS NOT NULL AND trim("input_tokens") <> '' AND "__typed_input_tokens" IS NULL THEN 'invalid_tokens' WHEN "output_tokens" IS NULL OR trim("output_tokens") = '' THEN 'missing_tokens' WHEN "output_tokens" IS NOT NULL AND trim("output_tokens") <> '' AND "__typed_output_tokens" IS NULL THEN 'invalid_tokens' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "request_id" IS NULL OR trim("request_id") = '' THEN 'request_id=' || coalesce('"' || replace("request_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'account_id=' || coalesce('"' || replace("account_id", '"', '""') || '"', 'null') WHEN "model" IS NULL OR trim("model") = '' THEN 'model=' || coalesce('"' || replace("model", '"', '""') || '"', 'null') WHEN "input_tokens" IS NULL OR trim("input_tokens") = '' THEN 'input_tokens=' || coalesce('"' || replace("input_tokens", '"', '""') || '"', 'null') WHEN "input_tokens" IS NOT NULL AND trim("input_tokens") <> '' AND "__typed_input_tokens" IS NULL THEN 'input_tokens=' || coalesce('"' || replace("input_tokens", '"', '""') || '"', 'null') WHEN "output_tokens" IS NULL OR trim("output_tokens") = '' THEN 'output_tokens=' || coalesce('"' || replace("output_tokens", '"', '""') || '"', 'null') WHEN "output_tokens" IS NOT NULL AND trim("output_tokens") <> '' AND "__typed_output_tokens" IS NULL THEN 'output_tokens=' || coalesce('"' || replace("output_tokens", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN REGEXP_LIKE(TRIM("ts"), '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?') THEN CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(TRIM("ts"))) AS TIMESTAMP_NTZ) END AS "__typed_ts", CASE WHEN REGEXP_LIKE("input_tokens", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("input_tokens"), 18, 0) END AS "__typed_input_tokens", CASE WHEN REGEXP_LIKE("output_tokens", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("output_tokens"), 18, 0) END AS "__typed_output_tokens" FROM __source))),
__stage_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce((("input_tokens" >= CAST(0 AS BIGINT)) AND ("output_tokens" >= CAST(0 AS BIGINT))), false)) THEN 'R\x1fnon_negative_tokens\x1fnegative_tokens\x1f' ELSE __outcome END AS __outcome)
  FROM __typed),
__stage_1 AS (SELECT * REPLACE (CAST(lower("model") AS VARCHAR) AS "model")
  FROM __stage_0),
__stage_2 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "request_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_requests\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_requests\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "request_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("request_id", "ts", "account_id", "model", "input_tokens", "output_tokens") AS __payload, first_value(hash("request_id", "ts", "account_id", "model", "input_tokens", "output_tokens")) OVER (PARTITION BY "request_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_1)),
__stage_3 AS (SELECT * EXCLUDE (__i) REPLACE (CAST(__s.__i AS INTEGER) AS __split), CAST(CASE __s.__i WHEN 0 THEN 'request' WHEN 1 THEN 'input' WHEN 2 THEN 'output' END AS VARCHAR) AS "token_kind", CAST(CASE __s.__i WHEN 0 THEN CAST(1 AS BIGINT) WHEN 1 THEN "input_tokens" WHEN 2 THEN "output_tokens" END AS BIGINT) AS "quantity"
  FROM __stage_2 JOIN (VALUES (0), (1), (2)) AS __s(__i) ON __s.__i = 0 OR __outcome IS NULL),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_3),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("account_id" IS NULL OR CAST("account_id" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_account_id\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__guard_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce(("token_kind" IN ('input', 'output')), false) AND (CASE CASE WHEN "ts" >= CAST(CONVERT_TIMEZONE('UTC', TO_TIMESTAMP_TZ('2026-10-15 00:00:00')) AS TIMESTAMP_NTZ) THEN 1 ELSE 0 END WHEN 0 THEN (CAST("model" AS VARCHAR) IS NULL OR CAST("token_kind" AS VARCHAR) IS NULL OR (CAST("model" AS VARCHAR), CAST("token_kind" AS VARCHAR)) NOT IN (('orca-large', 'input'), ('orca-large', 'output'), ('orca-mini', 'input'), ('orca-mini', 'output'), ('lynx-coder', 'input'), ('lynx-coder', 'output'))) WHEN 1 THEN (CAST("model" AS VARCHAR) IS NULL OR CAST("token_kind" AS VARCHAR) IS NULL OR (CAST("model" AS VARCHAR), CAST("token_kind" AS VARCHAR)) NOT IN (('orca-large', 'input'), ('orca-large', 'output'), ('orca-mini', 'input'), ('orca-mini', 'output'), ('lynx-coder', 'input'), ('lynx-coder', 'output'))) END)) THEN 'R\x1fprice:tokens\x1funknown_model\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_1),
__transactions AS (SELECT * EXCLUDE (__transaction_reject) REPLACE (
    CASE WHEN (__outcome IS NULL OR STARTSWITH(__outcome, 'F')) AND __transaction_reject IS NOT NULL THEN __transaction_reject ELSE __outcome END AS __outcome)
  FROM (SELECT *, min(CASE WHEN STARTSWITH(__outcome, 'R') THEN __outcome END) OVER (PARTITION BY __file, __line) AS __transaction_reject FROM __guard_2)),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __transactions)
SELECT __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(DATEADD('month', 1, __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 'ai-tokens', __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS'), 'requests', CAST(__version AS VARCHAR)), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, CAST(count(*) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("account_id" AS VARCHAR) AS __account, DATE_TRUNC('month', "ts") AS __local_start,
    0 AS __version,
    NULL AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("token_kind" = 'request'), false)) AS __e
    GROUP BY __account, __local_start, __version)
ORDER BY __account, __period_start, CAST(__version AS INTEGER);

-- charge:tokens
WITH __source AS (SELECT 0 AS __file, row_number() OVER (ORDER BY "request_id", "ts", "account_id", "model", "input_tokens", "output_tokens") AS __line, CAST(NULL AS VARCHAR) AS __malformed, CAST("request_id" AS VARCHAR) AS "request_id", CAST("ts" AS VARCHAR) AS "ts", CAST("account_id" AS VARCHAR) AS "account_id", CAST("model" AS VARCHAR) AS "model", CAST("input_tokens" AS VARCHAR) AS "input_tokens", CAST("output_tokens" AS VARCHAR) AS "output_tokens"
  FROM TALLY.USAGE.EVENTS),
__typed AS (SELECT __file, __line, CAST(0 AS INTEGER) AS __split,
    CASE WHEN __reason IS NOT NULL THEN 'R' || '\x1f' || 'input' || '\x1f' || __reason || '\x1f' || coalesce(__detail, '') END AS __outcome,
    "request_id", "__typed_ts" AS "ts", "account_id", "model", "__typed_input_tokens" AS "input_tokens", "__typed_output_tokens" AS "output_tokens"
  FROM (SELECT *, CASE WHEN __malformed IS NOT NULL THEN __malformed WHEN "request_id" IS NULL OR trim("request_id") = '' THEN 'missing_request_id' WHEN "ts" IS NULL OR trim("ts") = '' THEN 'missing_timestamp' WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'invalid_timestamp' WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'missing_account' WHEN "model" IS NULL OR trim("model") = '' THEN 'missing_model' WHEN "input_tokens" IS NULL OR trim("input_tokens") = '' THEN 'missing_tokens' WHEN "input_tokens" IS NOT NULL AND trim("input_tokens") <> '' AND "__typed_input_tokens" IS NULL THEN 'invalid_tokens' WHEN "output_tokens" IS NULL OR trim("output_tokens") = '' THEN 'missing_tokens' WHEN "output_tokens" IS NOT NULL AND trim("output_tokens") <> '' AND "__typed_output_tokens" IS NULL THEN 'invalid_tokens' END AS __reason, CASE WHEN __malformed IS NOT NULL THEN NULL WHEN "request_id" IS NULL OR trim("request_id") = '' THEN 'request_id=' || coalesce('"' || replace("request_id", '"', '""') || '"', 'null') WHEN "ts" IS NULL OR trim("ts") = '' THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "ts" IS NOT NULL AND trim("ts") <> '' AND "__typed_ts" IS NULL THEN 'ts=' || coalesce('"' || replace("ts", '"', '""') || '"', 'null') WHEN "account_id" IS NULL OR trim("account_id") = '' THEN 'account_id=' || coalesce('"' || replace("account_id", '"', '""') || '"', 'null') WHEN "model" IS NULL OR trim("model") = '' THEN 'model=' || coalesce('"' || replace("model", '"', '""') || '"', 'null') WHEN "input_tokens" IS NULL OR trim("input_tokens") = '' THEN 'input_tokens=' || coalesce('"' || replace("input_tokens", '"', '""') || '"', 'null') WHEN "input_tokens" IS NOT NULL AND trim("input_tokens") <> '' AND "__typed_input_tokens" IS NULL THEN 'input_tokens=' || coalesce('"' || replace("input_tokens", '"', '""') || '"', 'null') WHEN "output_tokens" IS NULL OR trim("output_tokens") = '' THEN 'output_tokens=' || coalesce('"' || replace("output_tokens", '"', '""') || '"', 'null') WHEN "output_tokens" IS NOT NULL AND trim("output_tokens") <> '' AND "__typed_output_tokens" IS NULL THEN 'output_tokens=' || coalesce('"' || replace("output_tokens", '"', '""') || '"', 'null') END AS __detail
    FROM (SELECT *, CASE WHEN REGEXP_LIKE(TRIM("ts"), '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?') THEN CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(TRIM("ts"))) AS TIMESTAMP_NTZ) END AS "__typed_ts", CASE WHEN REGEXP_LIKE("input_tokens", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("input_tokens"), 18, 0) END AS "__typed_input_tokens", CASE WHEN REGEXP_LIKE("output_tokens", ' *[+-]?[0-9]+\\.? *') THEN TRY_TO_NUMBER(TRIM("output_tokens"), 18, 0) END AS "__typed_output_tokens" FROM __source))),
__stage_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (NOT coalesce((("input_tokens" >= CAST(0 AS BIGINT)) AND ("output_tokens" >= CAST(0 AS BIGINT))), false)) THEN 'R\x1fnon_negative_tokens\x1fnegative_tokens\x1f' ELSE __outcome END AS __outcome)
  FROM __typed),
__stage_1 AS (SELECT * REPLACE (CAST(lower("model") AS VARCHAR) AS "model")
  FROM __stage_0),
__stage_2 AS (SELECT * EXCLUDE (__rank, __payload, __first_payload) REPLACE (
    CASE WHEN __outcome IS NULL AND "request_id" IS NOT NULL AND __rank > 1 THEN CASE WHEN __payload = __first_payload THEN 'D\x1fdedupe_requests\x1fduplicate\x1f'
      ELSE 'R\x1fdedupe_requests\x1fconflicting_duplicate\x1f' END ELSE __outcome END AS __outcome)
  FROM (SELECT *, row_number() OVER (PARTITION BY "request_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __rank, hash("request_id", "ts", "account_id", "model", "input_tokens", "output_tokens") AS __payload, first_value(hash("request_id", "ts", "account_id", "model", "input_tokens", "output_tokens")) OVER (PARTITION BY "request_id", (__outcome IS NULL) ORDER BY __file, __line, __split) AS __first_payload
    FROM __stage_1)),
__stage_3 AS (SELECT * EXCLUDE (__i) REPLACE (CAST(__s.__i AS INTEGER) AS __split), CAST(CASE __s.__i WHEN 0 THEN 'request' WHEN 1 THEN 'input' WHEN 2 THEN 'output' END AS VARCHAR) AS "token_kind", CAST(CASE __s.__i WHEN 0 THEN CAST(1 AS BIGINT) WHEN 1 THEN "input_tokens" WHEN 2 THEN "output_tokens" END AS BIGINT) AS "quantity"
  FROM __stage_2 JOIN (VALUES (0), (1), (2)) AS __s(__i) ON __s.__i = 0 OR __outcome IS NULL),
__guard_0 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("ts" IS NULL) THEN 'R\x1fmetering\x1fmissing_ts\x1f' ELSE __outcome END AS __outcome)
  FROM __stage_3),
__guard_1 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND ("account_id" IS NULL OR CAST("account_id" AS VARCHAR) = '') THEN 'R\x1fmetering\x1fmissing_account_id\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_0),
__guard_2 AS (SELECT * REPLACE (
    CASE WHEN __outcome IS NULL AND (coalesce(("token_kind" IN ('input', 'output')), false) AND (CASE CASE WHEN "ts" >= CAST(CONVERT_TIMEZONE('UTC', TO_TIMESTAMP_TZ('2026-10-15 00:00:00')) AS TIMESTAMP_NTZ) THEN 1 ELSE 0 END WHEN 0 THEN (CAST("model" AS VARCHAR) IS NULL OR CAST("token_kind" AS VARCHAR) IS NULL OR (CAST("model" AS VARCHAR), CAST("token_kind" AS VARCHAR)) NOT IN (('orca-large', 'input'), ('orca-large', 'output'), ('orca-mini', 'input'), ('orca-mini', 'output'), ('lynx-coder', 'input'), ('lynx-coder', 'output'))) WHEN 1 THEN (CAST("model" AS VARCHAR) IS NULL OR CAST("token_kind" AS VARCHAR) IS NULL OR (CAST("model" AS VARCHAR), CAST("token_kind" AS VARCHAR)) NOT IN (('orca-large', 'input'), ('orca-large', 'output'), ('orca-mini', 'input'), ('orca-mini', 'output'), ('lynx-coder', 'input'), ('lynx-coder', 'output'))) END)) THEN 'R\x1fprice:tokens\x1funknown_model\x1f' ELSE __outcome END AS __outcome)
  FROM __guard_1),
__transactions AS (SELECT * EXCLUDE (__transaction_reject) REPLACE (
    CASE WHEN (__outcome IS NULL OR STARTSWITH(__outcome, 'F')) AND __transaction_reject IS NOT NULL THEN __transaction_reject ELSE __outcome END AS __outcome)
  FROM (SELECT *, min(CASE WHEN STARTSWITH(__outcome, 'R') THEN __outcome END) OVER (PARTITION BY __file, __line) AS __transaction_reject FROM __guard_2)),
__events AS (SELECT *, nullif(SPLIT_PART(__outcome, '\x1f', 1), '') AS __status, nullif(SPLIT_PART(__outcome, '\x1f', 2), '') AS __stage, nullif(SPLIT_PART(__outcome, '\x1f', 3), '') AS __reason, nullif(SPLIT_PART(__outcome, '\x1f', 4), '') AS __detail FROM __transactions)
SELECT __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS') AS __period_start, TO_VARCHAR(DATEADD('month', 1, __local_start), 'YYYY-MM-DD HH24:MI:SS') AS __period_end, TO_VARCHAR(__local_start, 'YYYY-MM') AS __period,
    CAST(__version AS VARCHAR) AS __version, __d0, __d1, __quantity, __aux,
    TO_VARCHAR(__at, 'YYYY-MM-DD HH24:MI:SS.FF6') AS __at, SUBSTR(SHA2(CONCAT_WS(CHR(31), 'ai-tokens', __account, TO_VARCHAR(__local_start, 'YYYY-MM-DD HH24:MI:SS'), 'tokens', CAST(__version AS VARCHAR), coalesce(__d0, CHR(0)), coalesce(__d1, CHR(0))), 256), 1, 24) AS __line_id
  FROM (SELECT __account, __local_start, __version, __d0, __d1, CAST(sum(__value) AS VARCHAR) AS __quantity, CAST(NULL AS VARCHAR) AS __aux, max(__time) AS __at
    FROM (SELECT CAST("account_id" AS VARCHAR) AS __account, DATE_TRUNC('month', "ts") AS __local_start,
    CASE WHEN "ts" >= CAST(CONVERT_TIMEZONE('UTC', TO_TIMESTAMP_TZ('2026-10-15 00:00:00')) AS TIMESTAMP_NTZ) THEN 1 ELSE 0 END AS __version, CAST("model" AS VARCHAR) AS __d0, CAST("token_kind" AS VARCHAR) AS __d1,
    "quantity" AS __value, "ts" AS __time, __file, __line, __split
    
  FROM __events WHERE __outcome IS NULL AND coalesce(("token_kind" IN ('input', 'output')), false)) AS __e
    GROUP BY __account, __local_start, __version, __d0, __d1)
ORDER BY __account, __period_start, CAST(__version AS INTEGER), __d0 NULLS FIRST, __d1 NULLS FIRST;
