-- The analyze rules (docs/ANALYZE.md) written independently in SQL for DuckDB.
-- tests/python/test_analyze_sql.py runs this over the same lake as
-- `iamlake analyze` and compares every output table. No owners file and no
-- reviews: owner = the role's tag owner, else 'unowned'; every item is open.
-- Parameters are substituted by the test: {lake}, {unused_days},
-- {key_max_age_days}, {dates}.

SET TimeZone = 'UTC';

CREATE TABLE roles AS
SELECT * FROM read_parquet('{lake}/roles/*/*.parquet', hive_partitioning = true, hive_types = {'snapshot_date': DATE})
WHERE snapshot_date IN ({dates});
-- Roles' rows only: users' (principal_type user) are not analyzed here.
CREATE TABLE la AS
SELECT * FROM read_parquet('{lake}/last_accessed/*/*.parquet', hive_partitioning = true, hive_types = {'snapshot_date': DATE})
WHERE snapshot_date IN ({dates}) AND coalesce(principal_type, 'role') = 'role';
-- risky: allowed outright at account breadth or wider (schema version 3).
CREATE TABLE sims AS
SELECT *, breadth IN ('any', 'account') AND breadth_decision = 'allowed' AS risky
FROM read_parquet('{lake}/simulations/*/*.parquet', hive_partitioning = true, hive_types = {'snapshot_date': DATE})
WHERE snapshot_date IN ({dates}) AND coalesce(principal_type, 'role') = 'role';
-- Users' decisions, for daily_summary.risky_users only.
CREATE TABLE user_sims AS
SELECT * FROM read_parquet('{lake}/simulations/*/*.parquet', hive_partitioning = true, hive_types = {'snapshot_date': DATE})
WHERE snapshot_date IN ({dates}) AND principal_type = 'user';
CREATE TABLE rp AS
SELECT * FROM read_parquet('{lake}/role_policies/*/*.parquet', hive_partitioning = true, hive_types = {'snapshot_date': DATE})
WHERE snapshot_date IN ({dates}) AND coalesce(principal_type, 'role') = 'role';

-- Identity policies with an Allow whose Action (or NotAction) covers iam:PassRole.
CREATE MACRO covers_passrole(patterns) AS
    len(list_filter(patterns, lambda p: 'iam:passrole' LIKE replace(replace(lower(p), '*', '%'), '?', '_'))) > 0;
CREATE MACRO as_list(j) AS
    CASE WHEN j IS NULL THEN NULL
         WHEN json_type(j) = 'ARRAY' THEN json_extract_string(j, '$[*]')
         ELSE [json_extract_string(j, '$')] END;
CREATE TABLE statements AS
SELECT snapshot_date, role_id, unnest(
    CASE WHEN json_type(document, '$.Statement') = 'ARRAY' THEN json_extract(document, '$.Statement[*]')
         ELSE [json_extract(document, '$.Statement')] END) AS st
FROM rp WHERE kind <> 'boundary';
CREATE TABLE passrole AS
SELECT DISTINCT snapshot_date, role_id FROM statements
WHERE json_extract_string(st, '$.Effect') = 'Allow'
  AND CASE WHEN json_extract(st, '$.Action') IS NOT NULL THEN covers_passrole(as_list(json_extract(st, '$.Action')))
           WHEN json_extract(st, '$.NotAction') IS NOT NULL THEN NOT covers_passrole(as_list(json_extract(st, '$.NotAction')))
           ELSE false END;

CREATE TABLE services AS
SELECT snapshot_date, role_id, service_namespace,
       bool_or(action IS NULL) AS has_service_row,
       max(last_authenticated) FILTER (WHERE action IS NULL) AS service_row_last,
       max(last_authenticated) FILTER (WHERE action IS NOT NULL) AS action_last
FROM la GROUP BY ALL;

CREATE TABLE ctx AS
SELECT r.snapshot_date, r.role_id, r.create_date,
       r.snapshot_date::TIMESTAMPTZ AS day_start,
       r.snapshot_date::TIMESTAMPTZ - to_days({unused_days}) AS cutoff
FROM roles r;

CREATE TABLE unused AS
WITH s AS (
    SELECT s.*, c.create_date, c.day_start, c.cutoff,
           CASE WHEN has_service_row THEN service_row_last ELSE action_last END AS service_last,
           p.role_id IS NOT NULL AND s.service_namespace = 'iam' AS passrole_hides_iam
    FROM services s JOIN ctx c USING (snapshot_date, role_id)
    LEFT JOIN passrole p USING (snapshot_date, role_id)
    WHERE c.create_date <= c.cutoff                         -- grace rule
),
svc AS (
    SELECT snapshot_date, role_id, service_namespace AS permission, 'service' AS granularity,
           service_last AS last_used_at, create_date, day_start
    FROM s WHERE (service_last IS NULL OR service_last < cutoff) AND NOT passrole_hides_iam
),
act AS (
    SELECT l.snapshot_date, l.role_id, l.action AS permission, 'action' AS granularity,
           l.last_authenticated AS last_used_at, s.create_date, s.day_start
    FROM s JOIN la l USING (snapshot_date, role_id, service_namespace)
    WHERE l.action IS NOT NULL
      AND NOT ((s.service_last IS NULL OR s.service_last < s.cutoff) AND NOT s.passrole_hides_iam)
      AND (l.last_authenticated IS NULL OR l.last_authenticated < s.cutoff)
)
SELECT snapshot_date, role_id, permission, granularity, last_used_at,
       ((epoch_us(day_start) - epoch_us(coalesce(last_used_at, create_date))) // 86400000000)::INTEGER AS days_unused
FROM (SELECT * FROM svc UNION ALL SELECT * FROM act);

-- Each date's previous complete snapshot.
CREATE TABLE prev AS
SELECT d AS snapshot_date, lag(d) OVER (ORDER BY d) AS previous_date
FROM (SELECT DISTINCT snapshot_date AS d FROM roles);

CREATE TABLE granted AS
SELECT snapshot_date, role_id, service_namespace AS permission FROM la
UNION SELECT snapshot_date, role_id, action FROM la WHERE action IS NOT NULL;

CREATE TABLE deltas AS
SELECT u.snapshot_date, u.role_id, u.permission,
       CASE WHEN EXISTS (SELECT 1 FROM unused e WHERE e.role_id = u.role_id AND e.permission = u.permission
                                                AND e.snapshot_date < p.previous_date)
            THEN 'reappeared' ELSE 'new' END AS change,
       NULL AS resolution
FROM unused u JOIN prev p USING (snapshot_date)
WHERE NOT EXISTS (SELECT 1 FROM unused q WHERE q.snapshot_date = p.previous_date
                                           AND q.role_id = u.role_id AND q.permission = u.permission)
UNION ALL
SELECT p.snapshot_date, q.role_id, q.permission, 'resolved',
       CASE WHEN NOT EXISTS (SELECT 1 FROM roles r WHERE r.snapshot_date = p.snapshot_date AND r.role_id = q.role_id)
                THEN 'role_deleted'
            WHEN NOT EXISTS (SELECT 1 FROM granted g WHERE g.snapshot_date = p.snapshot_date
                                                     AND g.role_id = q.role_id AND g.permission = q.permission)
                THEN 'removed'
            ELSE 'used' END
FROM prev p JOIN unused q ON q.snapshot_date = p.previous_date
WHERE NOT EXISTS (SELECT 1 FROM unused u WHERE u.snapshot_date = p.snapshot_date
                                         AND u.role_id = q.role_id AND u.permission = q.permission);

CREATE TABLE owned AS
SELECT snapshot_date, role_id, account_id, coalesce(owner_team, 'unowned') AS owner_team FROM roles;

CREATE TABLE daily AS
SELECT r.snapshot_date, 'organization' AS scope, NULL AS account_id,
       count(*) AS roles,
       count(*) FILTER (WHERE r.role_id IN (SELECT role_id FROM sims s WHERE s.snapshot_date = r.snapshot_date AND s.risky)) AS risky_roles,
       count(*) FILTER (WHERE r.role_id IN (SELECT role_id FROM sims s WHERE s.snapshot_date = r.snapshot_date AND decision = 'allowed')) AS risky_roles_on_any_resource,
       (SELECT count(*) FROM unused u WHERE u.snapshot_date = r.snapshot_date) AS unused_permissions,
       (SELECT count(*) FROM deltas d WHERE d.snapshot_date = r.snapshot_date AND change <> 'resolved') AS unused_new,
       (SELECT count(*) FROM deltas d WHERE d.snapshot_date = r.snapshot_date AND change = 'resolved') AS unused_resolved,
       count(*) FILTER (WHERE r.owner_team = 'unowned') AS unowned_roles,
       (SELECT count(DISTINCT role_id) FROM user_sims s WHERE s.snapshot_date = r.snapshot_date
           AND breadth IN ('any', 'account') AND breadth_decision = 'allowed') AS risky_users
FROM owned r GROUP BY r.snapshot_date;

CREATE TABLE teams AS
SELECT o.snapshot_date, o.owner_team, count(*) AS roles,
       count(*) FILTER (WHERE o.role_id IN (SELECT role_id FROM sims s WHERE s.snapshot_date = o.snapshot_date AND s.risky)) AS risky_roles,
       count(*) FILTER (WHERE o.role_id IN (SELECT role_id FROM sims s WHERE s.snapshot_date = o.snapshot_date AND decision = 'allowed')) AS risky_roles_on_any_resource,
       count(*) FILTER (WHERE o.role_id IN (SELECT role_id FROM passrole p WHERE p.snapshot_date = o.snapshot_date)) AS passrole_roles,
       coalesce(sum((SELECT count(*) FROM unused u WHERE u.snapshot_date = o.snapshot_date AND u.role_id = o.role_id)), 0) AS unused_open
FROM owned o GROUP BY ALL;

-- Unused roles (docs/ANALYZE.md#unused-roles): RoleLastUsed null or before
-- the cutoff, past the grace period; service-linked ones flagged. Trust:
-- the account of each AWS principal ARN, outside the organization (the
-- accounts with roles on the date) when not among them; '*' for anyone.
CREATE TABLE unused_roles AS
SELECT r.snapshot_date, r.role_id, r.path LIKE '/aws-service-role/%' AS service_linked, r.last_used_at,
       ((epoch_us(c.day_start) - epoch_us(coalesce(r.last_used_at, r.create_date))) // 86400000000)::INTEGER AS days_unused,
       list_sort(list_distinct(list_filter(list_transform(r.trusted_principals,
           lambda p: CASE WHEN p LIKE 'arn:%' THEN split_part(p, ':', 5) END),
           lambda a: a IS NOT NULL AND regexp_full_match(a, '[0-9]{12}')))) AS trusted_accounts,
       r.trusted_principals
FROM roles r JOIN ctx c USING (snapshot_date, role_id)
WHERE c.create_date <= c.cutoff AND (r.last_used_at IS NULL OR r.last_used_at < c.cutoff);
CREATE TABLE org_accounts AS SELECT DISTINCT snapshot_date, account_id FROM roles;
CREATE TABLE unused_roles_trust AS
WITH t AS (SELECT snapshot_date, role_id, unnest(trusted_accounts) AS a FROM unused_roles),
outside AS (
    SELECT t.snapshot_date, t.role_id, list(t.a) AS accounts FROM t
    WHERE NOT EXISTS (SELECT 1 FROM org_accounts o WHERE o.snapshot_date = t.snapshot_date AND o.account_id = t.a)
    GROUP BY ALL)
SELECT u.snapshot_date, u.role_id, u.trusted_accounts,
       list_sort(coalesce(x.accounts, []::VARCHAR[])
         || CASE WHEN list_contains(u.trusted_principals, '*') THEN ['*'] ELSE []::VARCHAR[] END) AS external_accounts
FROM unused_roles u LEFT JOIN outside x USING (snapshot_date, role_id);

-- Their changes (service-linked roles apart), into the same deltas.
CREATE TABLE role_deltas AS
WITH ur AS (SELECT * FROM unused_roles WHERE NOT service_linked)
SELECT u.snapshot_date, u.role_id, 'role' AS permission,
       CASE WHEN EXISTS (SELECT 1 FROM ur e WHERE e.role_id = u.role_id AND e.snapshot_date < p.previous_date)
            THEN 'reappeared' ELSE 'new' END AS change,
       NULL AS resolution
FROM ur u JOIN prev p USING (snapshot_date)
WHERE NOT EXISTS (SELECT 1 FROM ur q WHERE q.snapshot_date = p.previous_date AND q.role_id = u.role_id)
UNION ALL
SELECT p.snapshot_date, q.role_id, 'role', 'resolved',
       CASE WHEN NOT EXISTS (SELECT 1 FROM roles r WHERE r.snapshot_date = p.snapshot_date AND r.role_id = q.role_id)
                THEN 'role_deleted' ELSE 'used' END
FROM prev p JOIN ur q ON q.snapshot_date = p.previous_date
WHERE NOT EXISTS (SELECT 1 FROM ur u WHERE u.snapshot_date = p.snapshot_date AND u.role_id = q.role_id);

CREATE TABLE daily_roles AS
SELECT d.snapshot_date,
       (SELECT count(*) FROM unused_roles u WHERE u.snapshot_date = d.snapshot_date AND NOT service_linked) AS unused_roles,
       (SELECT count(*) FROM unused_roles u WHERE u.snapshot_date = d.snapshot_date AND service_linked) AS unused_service_linked_roles,
       (SELECT count(*) FROM role_deltas x WHERE x.snapshot_date = d.snapshot_date AND change <> 'resolved') AS unused_roles_new,
       (SELECT count(*) FROM role_deltas x WHERE x.snapshot_date = d.snapshot_date AND change = 'resolved') AS unused_roles_resolved
FROM (SELECT DISTINCT snapshot_date FROM roles) d;

CREATE TABLE teams_roles AS
SELECT o.snapshot_date, o.owner_team,
       count(u.role_id) FILTER (WHERE NOT u.service_linked) AS unused_roles_open,
       count(u.role_id) FILTER (WHERE u.service_linked) AS unused_service_linked_roles
FROM owned o LEFT JOIN unused_roles u USING (snapshot_date, role_id)
GROUP BY ALL;

INSERT INTO deltas SELECT * FROM role_deltas;

-- The alert ledger is cumulative: on each date, every (role, item) ever
-- found unused or granted a sensitive action at account breadth or wider up to that
-- date, with the first and last date seen.
CREATE TABLE ledger AS
WITH dates AS (SELECT DISTINCT snapshot_date AS d FROM roles)
SELECT dates.d AS snapshot_date, u.role_id, 'unused' AS kind, u.permission AS item,
       min(u.snapshot_date) AS first_seen, max(u.snapshot_date) AS last_seen
FROM dates JOIN unused u ON u.snapshot_date <= dates.d
GROUP BY ALL
UNION ALL
SELECT dates.d, s.role_id, 'sensitive_grant', s.action, min(s.snapshot_date), max(s.snapshot_date)
FROM dates JOIN sims s ON s.snapshot_date <= dates.d AND s.risky
GROUP BY ALL
UNION ALL
SELECT dates.d, u.role_id, 'unused_role', 'role', min(u.snapshot_date), max(u.snapshot_date)
FROM dates JOIN unused_roles u ON u.snapshot_date <= dates.d
GROUP BY ALL;

-- Credential findings (docs/ANALYZE.md#credentials), from each date's
-- credential reports.
CREATE TABLE creds AS
SELECT * FROM read_parquet('{lake}/credentials/*/*.parquet', hive_partitioning = true, hive_types = {'snapshot_date': DATE})
WHERE snapshot_date IN ({dates});
CREATE TABLE credential_findings_raw AS
WITH c AS (
    SELECT *, snapshot_date::TIMESTAMPTZ AS day_start,
           snapshot_date::TIMESTAMPTZ - to_days({unused_days}) AS cutoff,
           snapshot_date::TIMESTAMPTZ - to_days({key_max_age_days}) AS too_old,
           greatest(password_last_used, access_key_1_last_used_date, access_key_2_last_used_date) AS last_activity
    FROM creds),
keys AS (
    SELECT snapshot_date, account_id, "user", day_start, cutoff, too_old, 1 AS k, access_key_1_active AS active,
           access_key_1_last_rotated AS rotated, access_key_1_last_used_date AS used FROM c
    UNION ALL
    SELECT snapshot_date, account_id, "user", day_start, cutoff, too_old, 2, access_key_2_active,
           access_key_2_last_rotated, access_key_2_last_used_date FROM c)
SELECT snapshot_date, account_id, "user", 'access_key_unused' AS finding, k AS access_key,
       ((epoch_us(day_start) - epoch_us(coalesce(used, rotated))) // 86400000000)::INTEGER AS days
FROM keys WHERE active AND rotated <= cutoff AND (used IS NULL OR used < cutoff)
UNION ALL
SELECT snapshot_date, account_id, "user", 'access_key_old', k,
       ((epoch_us(day_start) - epoch_us(rotated)) // 86400000000)::INTEGER
FROM keys WHERE active AND rotated < too_old
UNION ALL
SELECT snapshot_date, account_id, "user", 'console_without_mfa', NULL, NULL
FROM c WHERE (password_enabled OR is_root) AND NOT mfa_active
UNION ALL
SELECT snapshot_date, account_id, "user", 'inactive_user', NULL,
       ((epoch_us(day_start) - epoch_us(coalesce(last_activity, user_creation_time))) // 86400000000)::INTEGER
FROM c WHERE NOT is_root AND user_creation_time <= cutoff AND (last_activity IS NULL OR last_activity < cutoff);
-- Owner: the user's tag (users.owner_team; no owners file here), else unowned.
CREATE TABLE user_owners AS
SELECT snapshot_date, account_id, user_name, owner_team
FROM read_parquet('{lake}/users/*/*.parquet', hive_partitioning = true, hive_types = {'snapshot_date': DATE})
WHERE snapshot_date IN ({dates});
CREATE TABLE credential_findings AS
SELECT f.*, coalesce(u.owner_team, 'unowned') AS owner_team,
       CASE WHEN u.owner_team IS NULL THEN 'unowned' ELSE 'tag' END AS owner_source
FROM credential_findings_raw f
LEFT JOIN user_owners u ON u.snapshot_date = f.snapshot_date AND u.account_id = f.account_id AND u.user_name = f."user";
