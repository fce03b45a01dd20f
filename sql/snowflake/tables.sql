-- iamlake warehouse tables for Snowflake over the lake at s3://YOUR-BUCKET/iamlake/
-- Generated from src/model by `iamlake sql --dialect snowflake --location s3://YOUR-BUCKET/iamlake`;
-- do not edit by hand. Schema version 5. Set-up: docs/WAREHOUSE.md.
--
-- Run in the database and schema that should hold the tables (USE SCHEMA ...).
-- Prerequisite, once per account (ACCOUNTADMIN): a storage integration the
-- stage uses to read the bucket, e.g.
--   CREATE STORAGE INTEGRATION iamlake_s3 TYPE = EXTERNAL_STAGE
--     STORAGE_PROVIDER = 'S3' ENABLED = TRUE
--     STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::<aws-account>:role/<snowflake-reader>'
--     STORAGE_ALLOWED_LOCATIONS = ('s3://YOUR-BUCKET/iamlake/');
-- then DESC INTEGRATION iamlake_s3 and trust its IAM user in the role.
--
-- AUTO_REFRESH is FALSE: after every `iamlake snapshot` / `analyze` run,
--   ALTER EXTERNAL TABLE <table> REFRESH;
-- or set AUTO_REFRESH = TRUE and point the bucket's S3 event notifications at
-- the SQS queue shown in SHOW EXTERNAL TABLES (column notification_channel).

-- Timestamps are Parquet TIMESTAMP_MICROS adjusted to UTC; USE_LOGICAL_TYPE
-- makes the scanner read them as instants, so ::TIMESTAMP_TZ keeps the instant
-- whatever the session TIMEZONE.
CREATE FILE FORMAT IF NOT EXISTS iamlake_parquet
    TYPE = PARQUET
    USE_LOGICAL_TYPE = TRUE
    COMMENT = 'iamlake lake files: Snappy Parquet, timestamps as UTC micros';

-- The manifests are pretty-printed JSON documents, one per file.
CREATE FILE FORMAT IF NOT EXISTS iamlake_json
    TYPE = JSON
    COMMENT = 'iamlake manifests';

CREATE STAGE IF NOT EXISTS iamlake_lake
    URL = 's3://YOUR-BUCKET/iamlake/'
    STORAGE_INTEGRATION = iamlake_s3
    COMMENT = 'The iamlake lake root';

-- roles: One row per IAM role in every collected account on the snapshot date.
CREATE OR REPLACE EXTERNAL TABLE roles (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id that owns the role.
    account_name VARCHAR AS (value:account_name::VARCHAR), -- Account name from AWS Organizations.
    role_id VARCHAR AS (value:role_id::VARCHAR), -- Stable unique id (AROA...); changes when a role is deleted and recreated under the same name.
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name.
    arn VARCHAR AS (value:arn::VARCHAR), -- Role ARN.
    path VARCHAR AS (value:path::VARCHAR), -- IAM path, e.g. / or /service-role/.
    create_date TIMESTAMP_TZ(6) AS (value:create_date::TIMESTAMP_TZ(6)), -- When the role was created (UTC).
    description VARCHAR AS (value:description::VARCHAR), -- Role description (from ListRoles; null when the source lacks it).
    max_session_duration NUMBER(10,0) AS (value:max_session_duration::NUMBER(10,0)), -- Maximum session duration in seconds (from ListRoles).
    permissions_boundary_arn VARCHAR AS (value:permissions_boundary_arn::VARCHAR), -- ARN of the permissions boundary policy, if one is set.
    trust_policy VARCHAR AS (value:trust_policy::VARCHAR), -- Trust (assume-role) policy as normalized JSON text.
    trusted_principals ARRAY AS (value:trusted_principals::ARRAY), -- Principals the trust policy allows, e.g. arn:aws:iam::123456789012:root, service:lambda.amazonaws.com, federated:...
    tags OBJECT AS (value:tags::OBJECT), -- Role tags, key to value.
    owner_team VARCHAR AS (value:owner_team::VARCHAR), -- Owner from the role's tags (first of the configured tag keys, default team then owner); analyze adds owners-file rules.
    last_used_at TIMESTAMP_TZ(6) AS (value:last_used_at::TIMESTAMP_TZ(6)), -- When the role was last used (RoleLastUsed), null if never or unknown.
    last_used_region VARCHAR AS (value:last_used_region::VARCHAR), -- Region of the last use.
    managed_policy_arns ARRAY AS (value:managed_policy_arns::ARRAY), -- ARNs of the attached managed policies (customer and AWS managed).
    inline_policy_names ARRAY AS (value:inline_policy_names::ARRAY), -- Names of the role's inline policies.
    last_accessed_status VARCHAR AS (value:last_accessed_status::VARCHAR), -- Whether the role's Access Advisor data was collected on this date: ok | failed | timed_out | missing. Anything but ok means its services are unknown that day (no last_accessed rows): analyze never calls them unused or used, and carries the role's last good data forward.
    scp_exempt VARCHAR AS (value:scp_exempt::VARCHAR) -- Why SCPs do not limit this role, as AWS exempts it: management_account | service_linked_role; null when the account's SCPs apply (schema version 3). The same reasons exempt it from the account's RCPs (schema version 5).
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/roles/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per IAM role in every collected account on the snapshot date.';

-- role_policies: One row per policy that applies to a role or an IAM user (principal_type): inline, customer managed, AWS managed, or its permissions boundary; a user's rows include its groups' inline and attached policies (via_group).
CREATE OR REPLACE EXTERNAL TABLE role_policies (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id that owns the role.
    role_id VARCHAR AS (value:role_id::VARCHAR), -- Role id (AROA...); the user id (AIDA...) on user rows.
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name; the user name on user rows.
    role_arn VARCHAR AS (value:role_arn::VARCHAR), -- Role ARN; the user ARN on user rows.
    kind VARCHAR AS (value:kind::VARCHAR), -- inline | customer_managed | aws_managed | boundary.
    policy_name VARCHAR AS (value:policy_name::VARCHAR), -- Policy name (the inline policy's name, or the managed policy's name).
    policy_arn VARCHAR AS (value:policy_arn::VARCHAR), -- Managed policy ARN; null for inline policies.
    policy_version VARCHAR AS (value:policy_version::VARCHAR), -- Default version id of a managed policy (v1, v2, ...); null for inline policies.
    document VARCHAR AS (value:document::VARCHAR), -- The policy document as normalized JSON text (compact, keys sorted).
    statement_count NUMBER(10,0) AS (value:statement_count::NUMBER(10,0)), -- Number of statements in the document.
    principal_type VARCHAR AS (value:principal_type::VARCHAR), -- role | user: whose row it is. For user rows the role_id, role_name and role_arn columns hold the IAM user's id (AIDA...), name and ARN. Null in partitions written before users were evaluated: every row there is a role's. Role queries filter coalesce(principal_type, 'role') = 'role'.
    via_group VARCHAR AS (value:via_group::VARCHAR) -- For a user's row: the IAM group whose inline or attached policy this is (the user has it through the group); null for the user's own policies and for roles.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/role_policies/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per policy that applies to a role or an IAM user (principal_type): inline, customer managed, AWS managed, or its permissions boundary; a user''s rows include its groups'' inline and attached policies (via_group).';

-- simulations: One row per (role, sensitive action): the decision for that action on any resource (*), with its reasons.
CREATE OR REPLACE EXTERNAL TABLE simulations (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id that owns the role.
    role_id VARCHAR AS (value:role_id::VARCHAR), -- Role id (AROA...); the user id (AIDA...) on user rows.
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name; the user name on user rows.
    role_arn VARCHAR AS (value:role_arn::VARCHAR), -- Role ARN; the user ARN on user rows.
    action VARCHAR AS (value:action::VARCHAR), -- The sensitive action, e.g. iam:PassRole.
    resource VARCHAR AS (value:resource::VARCHAR), -- Always * : the question is whether the grant covers any resource (see docs/EVALUATION.md).
    decision VARCHAR AS (value:decision::VARCHAR), -- allowed | conditionally_allowed | implicit_deny | explicit_deny.
    decided_by VARCHAR AS (value:decided_by::VARCHAR), -- identity | boundary | scp: the layer that decided.
    matched_statements ARRAY AS (value:matched_statements::ARRAY), -- Statements behind the decision.
    condition_keys ARRAY AS (value:condition_keys::ARRAY), -- Condition keys the decision depends on that the request did not carry (local evaluator: non-empty only for conditionally_allowed; the AWS simulator: its MissingContextValues).
    breadth VARCHAR AS (value:breadth::VARCHAR), -- The widest breadth at which the action is allowed or conditionally allowed: any (every resource everywhere) | account (every resource of the action's types in the role's own account, any region) | pattern (some names, one region, or another account) | specific (named resources); null when allowed at none. A role is risky when a sensitive action is allowed at account or wider (schema version 3; see docs/EVALUATION.md#breadth).
    breadth_decision VARCHAR AS (value:breadth_decision::VARCHAR), -- The decision at breadth: allowed | conditionally_allowed; when breadth is null, the decision at the narrowest breadth asked (implicit_deny | explicit_deny).
    principal_type VARCHAR AS (value:principal_type::VARCHAR) -- role | user: whose row it is. For user rows the role_id, role_name and role_arn columns hold the IAM user's id (AIDA...), name and ARN. Null in partitions written before users were evaluated: every row there is a role's. Role queries filter coalesce(principal_type, 'role') = 'role'.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/simulations/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per (role, sensitive action): the decision for that action on any resource (*), with its reasons.';

-- last_accessed: Access Advisor data: one row per (role, service) with granularity = service, plus one per tracked action with granularity = action.
CREATE OR REPLACE EXTERNAL TABLE last_accessed (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id that owns the role.
    role_id VARCHAR AS (value:role_id::VARCHAR), -- Role id (AROA...); the user id (AIDA...) on user rows.
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name; the user name on user rows.
    role_arn VARCHAR AS (value:role_arn::VARCHAR), -- Role ARN; the user ARN on user rows.
    service_namespace VARCHAR AS (value:service_namespace::VARCHAR), -- Service prefix, e.g. s3.
    service_name VARCHAR AS (value:service_name::VARCHAR), -- Service display name, e.g. Amazon S3.
    action VARCHAR AS (value:action::VARCHAR), -- Full action name (s3:GetObject) for action rows; null for service rows.
    granularity VARCHAR AS (value:granularity::VARCHAR), -- service | action.
    last_authenticated TIMESTAMP_TZ(6) AS (value:last_authenticated::TIMESTAMP_TZ(6)), -- Last time the role used the service or action (UTC); null if never within the tracking period.
    last_authenticated_region VARCHAR AS (value:last_authenticated_region::VARCHAR), -- Region of that last use.
    last_authenticated_entity VARCHAR AS (value:last_authenticated_entity::VARCHAR), -- ARN of the entity that last used it.
    total_authenticated_entities NUMBER(10,0) AS (value:total_authenticated_entities::NUMBER(10,0)), -- Number of entities that used the service (service rows only).
    job_type VARCHAR AS (value:job_type::VARCHAR), -- SERVICE_LEVEL or ACTION_LEVEL: the Access Advisor job the row came from.
    principal_type VARCHAR AS (value:principal_type::VARCHAR) -- role | user: whose row it is. For user rows the role_id, role_name and role_arn columns hold the IAM user's id (AIDA...), name and ARN. Null in partitions written before users were evaluated: every row there is a role's. Role queries filter coalesce(principal_type, 'role') = 'role'.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/last_accessed/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'Access Advisor data: one row per (role, service) with granularity = service, plus one per tracked action with granularity = action.';

-- scps: One row per service control policy applying to an account: every policy at every level of the account's path from the organization root (level 0) down to the account itself. An account without rows had no SCPs collected.
CREATE OR REPLACE EXTERNAL TABLE scps (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id the policy applies to.
    level NUMBER(10,0) AS (value:level::NUMBER(10,0)), -- Position on the account's path: 0 is the organization root, the highest is the account itself. Every level must allow an action (at least one of its policies).
    policy_id VARCHAR AS (value:policy_id::VARCHAR), -- Policy id (p-...), as decisions in simulations name it.
    document VARCHAR AS (value:document::VARCHAR) -- The policy document as normalized JSON text (compact, keys sorted).
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/scps/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per service control policy applying to an account: every policy at every level of the account''s path from the organization root (level 0) down to the account itself. An account without rows had no SCPs collected.';

-- rcps: One row per resource control policy applying to an account's resources: every policy at every level of the account's path from the organization root (level 0) down to the account itself, with AWS's RCPFullAWSAccess (attached to every level, never detachable) listed at each level. An account without rows had no RCPs collected (or RCPs are not enabled in its organization).
CREATE OR REPLACE EXTERNAL TABLE rcps (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id the policy applies to.
    level NUMBER(10,0) AS (value:level::NUMBER(10,0)), -- Position on the account's path: 0 is the organization root, the highest is the account itself. Every level must allow an action (at least one of its policies).
    policy_id VARCHAR AS (value:policy_id::VARCHAR), -- Policy id (p-...), as decisions in simulations name it.
    document VARCHAR AS (value:document::VARCHAR) -- The policy document as normalized JSON text (compact, keys sorted).
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/rcps/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per resource control policy applying to an account''s resources: every policy at every level of the account''s path from the organization root (level 0) down to the account itself, with AWS''s RCPFullAWSAccess (attached to every level, never detachable) listed at each level. An account without rows had no RCPs collected (or RCPs are not enabled in its organization).';

-- credentials: One row per line of each account's IAM credential report (GenerateCredentialReport / GetCredentialReport): the root user and every IAM user, with password, MFA, access keys and certificates. An account collected without a report has no rows (its credentials are unknown: every report has a root line).
CREATE OR REPLACE EXTERNAL TABLE credentials (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id.
    account_name VARCHAR AS (value:account_name::VARCHAR), -- Account name from AWS Organizations.
    user VARCHAR AS (value:user::VARCHAR), -- User name as the report has it (<root_account> for the root user).
    arn VARCHAR AS (value:arn::VARCHAR), -- User ARN (…:root for the root user).
    is_root BOOLEAN AS (value:is_root::BOOLEAN), -- Whether this is the account's root user.
    user_creation_time TIMESTAMP_TZ(6) AS (value:user_creation_time::TIMESTAMP_TZ(6)), -- When the user was created (UTC).
    password_enabled BOOLEAN AS (value:password_enabled::BOOLEAN), -- Whether the user has a console password; null for the root user (not_supported).
    password_last_used TIMESTAMP_TZ(6) AS (value:password_last_used::TIMESTAMP_TZ(6)), -- Last console sign-in; null when never (N/A) or before IAM tracked it (no_information).
    password_last_changed TIMESTAMP_TZ(6) AS (value:password_last_changed::TIMESTAMP_TZ(6)), -- When the password was last set; null when N/A or not_supported.
    password_next_rotation TIMESTAMP_TZ(6) AS (value:password_next_rotation::TIMESTAMP_TZ(6)), -- When the password policy requires the next change; null when N/A or not_supported.
    mfa_active BOOLEAN AS (value:mfa_active::BOOLEAN), -- Whether an MFA device is enabled.
    access_key_1_active BOOLEAN AS (value:access_key_1_active::BOOLEAN), -- Whether the first access key exists and is active.
    access_key_1_last_rotated TIMESTAMP_TZ(6) AS (value:access_key_1_last_rotated::TIMESTAMP_TZ(6)), -- When the first access key was created or last rotated; null when N/A.
    access_key_1_last_used_date TIMESTAMP_TZ(6) AS (value:access_key_1_last_used_date::TIMESTAMP_TZ(6)), -- Last use of the first access key; null when never used (N/A).
    access_key_1_last_used_region VARCHAR AS (value:access_key_1_last_used_region::VARCHAR), -- Region of that use; null when N/A.
    access_key_1_last_used_service VARCHAR AS (value:access_key_1_last_used_service::VARCHAR), -- Service of that use (s3, ec2, …); null when N/A.
    access_key_2_active BOOLEAN AS (value:access_key_2_active::BOOLEAN), -- Whether the second access key exists and is active.
    access_key_2_last_rotated TIMESTAMP_TZ(6) AS (value:access_key_2_last_rotated::TIMESTAMP_TZ(6)), -- When the second access key was created or last rotated; null when N/A.
    access_key_2_last_used_date TIMESTAMP_TZ(6) AS (value:access_key_2_last_used_date::TIMESTAMP_TZ(6)), -- Last use of the second access key; null when never used (N/A).
    access_key_2_last_used_region VARCHAR AS (value:access_key_2_last_used_region::VARCHAR), -- Region of that use; null when N/A.
    access_key_2_last_used_service VARCHAR AS (value:access_key_2_last_used_service::VARCHAR), -- Service of that use; null when N/A.
    cert_1_active BOOLEAN AS (value:cert_1_active::BOOLEAN), -- Whether the first signing certificate is active.
    cert_1_last_rotated TIMESTAMP_TZ(6) AS (value:cert_1_last_rotated::TIMESTAMP_TZ(6)), -- When the first signing certificate was created or last rotated; null when N/A.
    cert_2_active BOOLEAN AS (value:cert_2_active::BOOLEAN), -- Whether the second signing certificate is active.
    cert_2_last_rotated TIMESTAMP_TZ(6) AS (value:cert_2_last_rotated::TIMESTAMP_TZ(6)) -- When the second signing certificate was created or last rotated; null when N/A.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/credentials/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per line of each account''s IAM credential report (GenerateCredentialReport / GetCredentialReport): the root user and every IAM user, with password, MFA, access keys and certificates. An account collected without a report has no rows (its credentials are unknown: every report has a root line).';

-- users: One row per IAM user in every collected account on the snapshot date (GetAccountAuthorizationDetails UserDetailList), with its groups and the policies it has directly and through them.
CREATE OR REPLACE EXTERNAL TABLE users (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id that owns the user.
    account_name VARCHAR AS (value:account_name::VARCHAR), -- Account name from AWS Organizations.
    user_id VARCHAR AS (value:user_id::VARCHAR), -- Stable unique id (AIDA...); changes when a user is deleted and recreated under the same name.
    user_name VARCHAR AS (value:user_name::VARCHAR), -- User name.
    arn VARCHAR AS (value:arn::VARCHAR), -- User ARN (credentials.arn for the same user).
    path VARCHAR AS (value:path::VARCHAR), -- IAM path, e.g. / or /ci/.
    create_date TIMESTAMP_TZ(6) AS (value:create_date::TIMESTAMP_TZ(6)), -- When the user was created (UTC).
    tags OBJECT AS (value:tags::OBJECT), -- User tags, key to value.
    owner_team VARCHAR AS (value:owner_team::VARCHAR), -- Owner from the user's tags (the configured tag keys, as for roles).
    groups ARRAY AS (value:groups::ARRAY), -- Names of the groups the user is in.
    permissions_boundary_arn VARCHAR AS (value:permissions_boundary_arn::VARCHAR), -- ARN of the permissions boundary policy, if one is set.
    inline_policy_names ARRAY AS (value:inline_policy_names::ARRAY), -- Names of the user's own inline policies.
    managed_policy_arns ARRAY AS (value:managed_policy_arns::ARRAY), -- ARNs of the managed policies attached to the user itself.
    group_inline_policy_names ARRAY AS (value:group_inline_policy_names::ARRAY), -- Inline policies of the user's groups, as group/policy.
    group_managed_policy_arns ARRAY AS (value:group_managed_policy_arns::ARRAY), -- ARNs of the managed policies attached to the user's groups (each once).
    last_accessed_status VARCHAR AS (value:last_accessed_status::VARCHAR) -- Whether the user's Access Advisor data was collected on this date: ok | failed | timed_out | missing (as roles.last_accessed_status; the data is in last_accessed with principal_type user).
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/users/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per IAM user in every collected account on the snapshot date (GetAccountAuthorizationDetails UserDetailList), with its groups and the policies it has directly and through them.';

-- policy_lints: One row per unknown action, action pattern matching nothing, or unknown condition key in an identity policy collected by the snapshot, checked against the bundled Service Authorization Reference. Managed policies attached to (or bounding) a role are checked once per account; inline policies once per role. Trust policies are not checked (their federated condition keys are the identity provider's).
CREATE OR REPLACE EXTERNAL TABLE policy_lints (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id the policy was collected from.
    policy_kind VARCHAR AS (value:policy_kind::VARCHAR), -- inline | customer_managed | aws_managed (as in role_policies.kind; a permissions boundary is its managed policy).
    policy_name VARCHAR AS (value:policy_name::VARCHAR), -- The inline policy's name, or the managed policy's name.
    policy_arn VARCHAR AS (value:policy_arn::VARCHAR), -- Managed policy ARN; null for inline policies.
    role_name VARCHAR AS (value:role_name::VARCHAR), -- The role holding the inline policy; null for managed policies (checked once per account).
    role_arn VARCHAR AS (value:role_arn::VARCHAR), -- ARN of the role holding the inline policy; null for managed policies.
    json_path VARCHAR AS (value:json_path::VARCHAR), -- Where in the document: Statement[1].Action[0], Statement[0].Condition.StringEquals.aws:SoureIp (no index for a single value).
    kind VARCHAR AS (value:kind::VARCHAR), -- unknown_service | unknown_action | no_matching_action | unknown_condition_key.
    name VARCHAR AS (value:name::VARCHAR), -- The action, action pattern or condition key as written in the policy.
    suggestion VARCHAR AS (value:suggestion::VARCHAR), -- The closest real action of the service for an unknown action, when one is close; else null.
    message VARCHAR AS (value:message::VARCHAR) -- The finding in words, e.g. unknown action s3:GetObjekt (did you mean s3:GetObject?).
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/policy_lints/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per unknown action, action pattern matching nothing, or unknown condition key in an identity policy collected by the snapshot, checked against the bundled Service Authorization Reference. Managed policies attached to (or bounding) a role are checked once per account; inline policies once per role. Trust policies are not checked (their federated condition keys are the identity provider''s).';

-- unused_permissions: One row per (role, permission) granted but unused for at least the threshold (default 90 days) on the date. Service rows mean the whole service is unused; action rows are unused actions of a service that is otherwise used.
CREATE OR REPLACE EXTERNAL TABLE unused_permissions (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id that owns the role.
    account_name VARCHAR AS (value:account_name::VARCHAR), -- Account name from AWS Organizations.
    role_id VARCHAR AS (value:role_id::VARCHAR), -- Role id (AROA...).
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name.
    role_arn VARCHAR AS (value:role_arn::VARCHAR), -- Role ARN.
    owner_team VARCHAR AS (value:owner_team::VARCHAR), -- Owner team (unowned when no step of the owner chain names one).
    owner_source VARCHAR AS (value:owner_source::VARCHAR), -- tag | terraform | cloudformation | owners_file | account | unowned: the step of the owner chain that named owner_team (see role_owners).
    permission VARCHAR AS (value:permission::VARCHAR), -- The unused permission: a service namespace (s3) or an action (s3:PutObject).
    service_namespace VARCHAR AS (value:service_namespace::VARCHAR), -- Service namespace of the permission.
    granularity VARCHAR AS (value:granularity::VARCHAR), -- service | action.
    last_used_at TIMESTAMP_TZ(6) AS (value:last_used_at::TIMESTAMP_TZ(6)), -- Last use per Access Advisor; null when never used in the tracking period.
    days_unused NUMBER(10,0) AS (value:days_unused::NUMBER(10,0)), -- Whole days from the last use (or, if never used, the role's creation) to the snapshot date.
    review_status VARCHAR AS (value:review_status::VARCHAR), -- open | kept | to_delete, from the reviews file.
    review_reason VARCHAR AS (value:review_reason::VARCHAR), -- The review's reason.
    reviewer VARCHAR AS (value:reviewer::VARCHAR), -- Who reviewed it.
    first_seen DATE AS (value:first_seen::DATE), -- First snapshot date on which this permission was found unused (from the alert ledger).
    alerted_on DATE AS (value:alerted_on::DATE), -- Date its owner team was alerted, null if never.
    data_date DATE AS (value:data_date::DATE), -- Date of the Access Advisor data the row was computed from: the snapshot date, or an earlier one when the account or the role's Access Advisor job failed on this date and its last good data was carried forward (days_unused then counts to that date).
    iac_state VARCHAR AS (value:iac_state::VARCHAR), -- The Terraform state (file path or s3:// URI) that manages the role; null when no state read manages it.
    iac_address VARCHAR AS (value:iac_address::VARCHAR), -- The role's Terraform resource address (module.app.aws_iam_role.this["api"]).
    grant_policy VARCHAR AS (value:grant_policy::VARCHAR), -- The policy that grants the permission: inline:<name> or the policy ARN (the first Allow statement covering it, inline policies first).
    grant_statement VARCHAR AS (value:grant_statement::VARCHAR), -- The statement of grant_policy that grants it: statement <0-based index> (<Sid>).
    grant_state VARCHAR AS (value:grant_state::VARCHAR), -- The Terraform state holding grant_address.
    grant_address VARCHAR AS (value:grant_address::VARCHAR) -- The Terraform resource to change: the aws_iam_role_policy (or the role's inline_policy block) or aws_iam_policy holding the statement; for an AWS managed policy, its attachment. Null when no state read holds it.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/unused_permissions/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per (role, permission) granted but unused for at least the threshold (default 90 days) on the date. Service rows mean the whole service is unused; action rows are unused actions of a service that is otherwise used.';

-- unused_roles: One row per role not used (RoleLastUsed) for at least the threshold (default 90 days) on the date, with its trust. Service-linked roles (path /aws-service-role/) are rows with service_linked = true: never alerted and not in the deltas or team counts of unused roles.
CREATE OR REPLACE EXTERNAL TABLE unused_roles (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id that owns the role.
    account_name VARCHAR AS (value:account_name::VARCHAR), -- Account name from AWS Organizations.
    role_id VARCHAR AS (value:role_id::VARCHAR), -- Role id (AROA...).
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name.
    role_arn VARCHAR AS (value:role_arn::VARCHAR), -- Role ARN.
    path VARCHAR AS (value:path::VARCHAR), -- IAM path of the role.
    service_linked BOOLEAN AS (value:service_linked::BOOLEAN), -- Whether the role is service-linked (path /aws-service-role/): managed by AWS, reported apart.
    owner_team VARCHAR AS (value:owner_team::VARCHAR), -- Owner team (unowned when neither tags nor the owners file name one).
    owner_source VARCHAR AS (value:owner_source::VARCHAR), -- tag | owners_file | unowned: where owner_team came from.
    create_date TIMESTAMP_TZ(6) AS (value:create_date::TIMESTAMP_TZ(6)), -- When the role was created (UTC).
    last_used_at TIMESTAMP_TZ(6) AS (value:last_used_at::TIMESTAMP_TZ(6)), -- Last use per RoleLastUsed; null when not used within IAM's tracking period (400 days).
    last_used_region VARCHAR AS (value:last_used_region::VARCHAR), -- Region of the last use.
    days_unused NUMBER(10,0) AS (value:days_unused::NUMBER(10,0)), -- Whole days from the last use (or, if never used, the role's creation) to data_date.
    trusted_principals ARRAY AS (value:trusted_principals::ARRAY), -- Every principal the trust policy allows (as in roles.trusted_principals).
    trusted_accounts ARRAY AS (value:trusted_accounts::ARRAY), -- Account ids of the AWS principals the trust policy allows (the role's own account included), sorted.
    trusted_services ARRAY AS (value:trusted_services::ARRAY), -- Service principals the trust policy allows (lambda.amazonaws.com), sorted.
    external_accounts ARRAY AS (value:external_accounts::ARRAY), -- Trusted account ids outside the organization (not among the accounts of the snapshot manifest nor of any role), and * when anyone may assume the role.
    trusts_outside_org BOOLEAN AS (value:trusts_outside_org::BOOLEAN), -- Whether external_accounts is not empty: a cross-account role the audit asks about.
    review_status VARCHAR AS (value:review_status::VARCHAR), -- open | kept | to_delete, from the reviews file (a line with permission = role).
    review_reason VARCHAR AS (value:review_reason::VARCHAR), -- The review's reason.
    reviewer VARCHAR AS (value:reviewer::VARCHAR), -- Who reviewed it.
    first_seen DATE AS (value:first_seen::DATE), -- First snapshot date on which the role was found unused (from the alert ledger, kind unused_role).
    alerted_on DATE AS (value:alerted_on::DATE), -- Date its owner team was alerted, null if never.
    data_date DATE AS (value:data_date::DATE) -- Date of the role's data: the snapshot date, or an earlier one when its account failed on this date and its last good snapshot was carried (days_unused then counts to that date).
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/unused_roles/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per role not used (RoleLastUsed) for at least the threshold (default 90 days) on the date, with its trust. Service-linked roles (path /aws-service-role/) are rows with service_linked = true: never alerted and not in the deltas or team counts of unused roles.';

-- credential_findings: One row per finding of the credential reports on the date: access_key_unused, access_key_old, console_without_mfa, inactive_user (rules in docs/ANALYZE.md#credentials). Accounts without a report on the date (or carried) have none.
CREATE OR REPLACE EXTERNAL TABLE credential_findings (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id.
    account_name VARCHAR AS (value:account_name::VARCHAR), -- Account name from AWS Organizations.
    user VARCHAR AS (value:user::VARCHAR), -- User name (<root_account> for the root user).
    arn VARCHAR AS (value:arn::VARCHAR), -- User ARN.
    finding VARCHAR AS (value:finding::VARCHAR), -- access_key_unused | access_key_old | console_without_mfa | inactive_user.
    access_key NUMBER(10,0) AS (value:access_key::NUMBER(10,0)), -- 1 or 2: which access key (access_key_* findings only).
    last_used_at TIMESTAMP_TZ(6) AS (value:last_used_at::TIMESTAMP_TZ(6)), -- The last use the finding is about: the key's, the password's (console_without_mfa), or the user's latest of both (inactive_user); null when never.
    days NUMBER(10,0) AS (value:days::NUMBER(10,0)), -- Whole days to data_date: since the last use (or the key's or user's creation when never used) for access_key_unused and inactive_user, since the key's last rotation for access_key_old; null for console_without_mfa.
    data_date DATE AS (value:data_date::DATE), -- Date of the credential report: the snapshot date, or an earlier one when the account was carried.
    owner_team VARCHAR AS (value:owner_team::VARCHAR), -- Owner team of the user (unowned when no step names one): the user's tag (users.owner_team), else the owners file (a rule's role glob matches the user name, its path_prefix the user's path), else the account's default team (--owners-config [accounts]). The root user has no tags: its account's rules decide.
    owner_source VARCHAR AS (value:owner_source::VARCHAR) -- tag | owners_file | account | unowned: the step that named owner_team.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/credential_findings/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per finding of the credential reports on the date: access_key_unused, access_key_old, console_without_mfa, inactive_user (rules in docs/ANALYZE.md#credentials). Accounts without a report on the date (or carried) have none.';

-- unused_deltas: One row per unused permission, or unused role (granularity role), that is new, reappeared or resolved since the previous complete snapshot.
CREATE OR REPLACE EXTERNAL TABLE unused_deltas (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id that owns the role.
    role_id VARCHAR AS (value:role_id::VARCHAR), -- Role id (AROA...): a role deleted and recreated under the same name is a different role.
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name.
    role_arn VARCHAR AS (value:role_arn::VARCHAR), -- Role ARN.
    owner_team VARCHAR AS (value:owner_team::VARCHAR), -- Owner team on the date (for resolved rows of deleted roles, on the previous date).
    permission VARCHAR AS (value:permission::VARCHAR), -- Service namespace or action; role for rows about a whole unused role.
    granularity VARCHAR AS (value:granularity::VARCHAR), -- service | action | role (a whole unused role, see unused_roles; never service-linked).
    change VARCHAR AS (value:change::VARCHAR), -- new (never seen unused before) | reappeared (unused before, then not, now again) | resolved (unused on the previous snapshot, not now).
    resolution VARCHAR AS (value:resolution::VARCHAR), -- For resolved rows: used | removed (no longer granted; not for role rows) | role_deleted.
    previous_snapshot_date DATE AS (value:previous_snapshot_date::DATE) -- The snapshot compared against; null on the first snapshot.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/unused_deltas/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per unused permission, or unused role (granularity role), that is new, reappeared or resolved since the previous complete snapshot.';

-- team_summary: One row per owner team: its roles, sensitive grants on any resource, unused permissions by review status, and review progress.
CREATE OR REPLACE EXTERNAL TABLE team_summary (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    owner_team VARCHAR AS (value:owner_team::VARCHAR), -- Owner team (unowned collects roles nobody owns).
    roles NUMBER(10,0) AS (value:roles::NUMBER(10,0)), -- Roles the team owns.
    risky_roles NUMBER(10,0) AS (value:risky_roles::NUMBER(10,0)), -- Risky roles: allowed at least one sensitive action at account breadth or wider (every resource of its types in the role's own account, or more). Before schema version 3: on any resource.
    risky_by_action ARRAY AS (value:risky_by_action::ARRAY), -- Per sensitive action: roles allowed, and conditionally allowed, at account breadth or wider.
    risky_roles_on_any_resource NUMBER(10,0) AS (value:risky_roles_on_any_resource::NUMBER(10,0)), -- Roles allowed at least one sensitive action on any resource (`*`): risky_roles before schema version 3. Null in partitions before version 3.
    passrole_roles NUMBER(10,0) AS (value:passrole_roles::NUMBER(10,0)), -- Roles whose policies grant iam:PassRole (invisible to Access Advisor, so never reported unused).
    unused_open NUMBER(10,0) AS (value:unused_open::NUMBER(10,0)), -- Unused permissions not yet reviewed.
    unused_kept NUMBER(10,0) AS (value:unused_kept::NUMBER(10,0)), -- Unused permissions reviewed keep.
    unused_to_delete NUMBER(10,0) AS (value:unused_to_delete::NUMBER(10,0)), -- Unused permissions reviewed delete and still granted.
    unused_done NUMBER(10,0) AS (value:unused_done::NUMBER(10,0)), -- Delete reviews whose permission is gone from the role.
    unused_new NUMBER(10,0) AS (value:unused_new::NUMBER(10,0)), -- Unused permissions new or reappeared since the previous snapshot.
    review_progress FLOAT AS (value:review_progress::FLOAT), -- Reviewed share: (kept + to_delete + done) / (open + kept + to_delete + done); null when there is nothing to review.
    roles_carried NUMBER(10,0) AS (value:roles_carried::NUMBER(10,0)), -- Of roles, those whose data was carried from an earlier date because their account could not be collected on this one.
    unused_roles_open NUMBER(10,0) AS (value:unused_roles_open::NUMBER(10,0)), -- Unused roles (not service-linked) not yet reviewed.
    unused_roles_kept NUMBER(10,0) AS (value:unused_roles_kept::NUMBER(10,0)), -- Unused roles reviewed keep.
    unused_roles_to_delete NUMBER(10,0) AS (value:unused_roles_to_delete::NUMBER(10,0)), -- Unused roles reviewed delete and still present.
    unused_roles_done NUMBER(10,0) AS (value:unused_roles_done::NUMBER(10,0)), -- Delete reviews of roles that are gone.
    unused_roles_new NUMBER(10,0) AS (value:unused_roles_new::NUMBER(10,0)), -- Unused roles new or reappeared since the previous snapshot.
    unused_roles_outside_org NUMBER(10,0) AS (value:unused_roles_outside_org::NUMBER(10,0)), -- Unused roles (not service-linked) that accounts outside the organization (or anyone) may assume.
    unused_service_linked_roles NUMBER(10,0) AS (value:unused_service_linked_roles::NUMBER(10,0)) -- Unused service-linked roles, counted apart (AWS manages them).
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/team_summary/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per owner team: its roles, sensitive grants on any resource, unused permissions by review status, and review progress.';

-- daily_summary: Per snapshot date, one organization-wide row and one row per account: the trend series for leadership charts.
CREATE OR REPLACE EXTERNAL TABLE daily_summary (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    scope VARCHAR AS (value:scope::VARCHAR), -- organization | account.
    account_id VARCHAR AS (value:account_id::VARCHAR), -- The account (null for the organization row).
    account_name VARCHAR AS (value:account_name::VARCHAR), -- Account name.
    roles NUMBER(10,0) AS (value:roles::NUMBER(10,0)), -- Roles.
    risky_roles NUMBER(10,0) AS (value:risky_roles::NUMBER(10,0)), -- Risky roles: allowed at least one sensitive action at account breadth or wider (every resource of its types in the role's own account, or more). Before schema version 3: on any resource.
    risky_by_action ARRAY AS (value:risky_by_action::ARRAY), -- Per sensitive action: roles allowed, and conditionally allowed, at account breadth or wider.
    risky_roles_on_any_resource NUMBER(10,0) AS (value:risky_roles_on_any_resource::NUMBER(10,0)), -- Roles allowed at least one sensitive action on any resource (`*`): risky_roles before schema version 3. Null in partitions before version 3.
    unused_permissions NUMBER(10,0) AS (value:unused_permissions::NUMBER(10,0)), -- Unused permissions (any review status).
    unused_open NUMBER(10,0) AS (value:unused_open::NUMBER(10,0)), -- Unused permissions not yet reviewed.
    unused_new NUMBER(10,0) AS (value:unused_new::NUMBER(10,0)), -- New or reappeared since the previous snapshot.
    unused_resolved NUMBER(10,0) AS (value:unused_resolved::NUMBER(10,0)), -- Resolved since the previous snapshot.
    unowned_roles NUMBER(10,0) AS (value:unowned_roles::NUMBER(10,0)), -- Roles with no owner team.
    account_status VARCHAR AS (value:account_status::VARCHAR), -- Account rows: ok (collected on this date) | carried (collection failed; its roles are counted from data_date, its last good snapshot) | no_data (collection failed and no earlier snapshot has it: counted nowhere). Null for the organization row.
    data_date DATE AS (value:data_date::DATE), -- Account rows: the snapshot date the account's numbers come from (null for no_data and for the organization row).
    ou_path VARCHAR AS (value:ou_path::VARCHAR), -- Account rows: the account's place in the organization, root first (r-.../ou-.../...), when known.
    failure_reason VARCHAR AS (value:failure_reason::VARCHAR), -- Account rows: why collection failed on this date (null when ok).
    accounts_carried NUMBER(10,0) AS (value:accounts_carried::NUMBER(10,0)), -- Accounts whose data was carried from an earlier date (0 or 1 on account rows).
    accounts_without_data NUMBER(10,0) AS (value:accounts_without_data::NUMBER(10,0)), -- Accounts that failed with no earlier data to carry: their roles are missing from every count (0 or 1 on account rows).
    roles_access_carried NUMBER(10,0) AS (value:roles_access_carried::NUMBER(10,0)), -- Roles whose Access Advisor data came from an earlier date (their own job failed or timed out, or their account was carried).
    roles_access_unknown NUMBER(10,0) AS (value:roles_access_unknown::NUMBER(10,0)), -- Roles with no Access Advisor data on this date or before: their unused permissions are unknown and not counted.
    unused_roles NUMBER(10,0) AS (value:unused_roles::NUMBER(10,0)), -- Unused roles, service-linked ones excluded.
    unused_roles_new NUMBER(10,0) AS (value:unused_roles_new::NUMBER(10,0)), -- Unused roles new or reappeared since the previous snapshot.
    unused_roles_resolved NUMBER(10,0) AS (value:unused_roles_resolved::NUMBER(10,0)), -- Unused roles on the previous snapshot that are used or deleted now.
    unused_service_linked_roles NUMBER(10,0) AS (value:unused_service_linked_roles::NUMBER(10,0)), -- Unused service-linked roles, counted apart.
    risky_users NUMBER(10,0) AS (value:risky_users::NUMBER(10,0)) -- IAM users allowed at least one sensitive action at account breadth or wider (simulations rows with principal_type user, the roles' rule), counted apart from roles. Null in partitions analyzed before users were evaluated.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/daily_summary/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'Per snapshot date, one organization-wide row and one row per account: the trend series for leadership charts.';

-- passrole_grants: Roles whose policies grant iam:PassRole. Access Advisor cannot see PassRole use, so these are reported here and never as unused.
CREATE OR REPLACE EXTERNAL TABLE passrole_grants (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id.
    role_id VARCHAR AS (value:role_id::VARCHAR), -- Role id (AROA...).
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name.
    role_arn VARCHAR AS (value:role_arn::VARCHAR), -- Role ARN.
    owner_team VARCHAR AS (value:owner_team::VARCHAR), -- Owner team.
    decision_on_any_resource VARCHAR AS (value:decision_on_any_resource::VARCHAR) -- The snapshot's decision for iam:PassRole on any resource (implicit_deny means it is granted on specific roles only).
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/passrole_grants/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'Roles whose policies grant iam:PassRole. Access Advisor cannot see PassRole use, so these are reported here and never as unused.';

-- review_status: One row per line of the reviews file and what became of it on the date.
CREATE OR REPLACE EXTERNAL TABLE review_status (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    "ACCOUNT" VARCHAR AS (value:account::VARCHAR), -- Account id or name, as written in the reviews file.
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name, as written.
    permission VARCHAR AS (value:permission::VARCHAR), -- Service or action, as written; role for a review of the whole (unused) role.
    decision VARCHAR AS (value:decision::VARCHAR), -- keep | delete.
    reason VARCHAR AS (value:reason::VARCHAR), -- Why (required for keep).
    reviewer VARCHAR AS (value:reviewer::VARCHAR), -- Who decided.
    review_date DATE AS (value:review_date::DATE), -- When.
    owner_team VARCHAR AS (value:owner_team::VARCHAR), -- Owner team of the role, when it exists.
    status VARCHAR AS (value:status::VARCHAR), -- applied (matches a granted permission, or an existing role) | done (delete review whose permission, or role, is gone) | expired (past its expires date: the permission is open again) | invalidated (the role's grant of the permission changed since the review: open again) | no_data (the role's data is unknown on the date) | unknown_role | unknown_permission.
    source VARCHAR AS (value:source::VARCHAR), -- File and line of the review.
    expires DATE AS (value:expires::DATE), -- Last date the review holds (from the reviews file); after it the permission reopens.
    grant_fingerprint VARCHAR AS (value:grant_fingerprint::VARCHAR), -- SHA-256 of the statements that granted the permission when analyze first saw the review with the permission granted; carried from run to run, it is what a later grant is compared with.
    invalidated_on DATE AS (value:invalidated_on::DATE) -- First date the role's grant of the permission differed from grant_fingerprint; the review stays invalidated until its line is changed (a new review).
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/review_status/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per line of the reviews file and what became of it on the date.';

-- alert_ledger: Cumulative up to the date: every (role, item) ever found unused or granted on any resource, when first and last seen, and when alerted. analyze reads only the previous date's ledger.
CREATE OR REPLACE EXTERNAL TABLE alert_ledger (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id.
    role_id VARCHAR AS (value:role_id::VARCHAR), -- Role id (AROA...).
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name.
    kind VARCHAR AS (value:kind::VARCHAR), -- unused | sensitive_grant | unused_role.
    item VARCHAR AS (value:item::VARCHAR), -- The permission (unused), the sensitive action (sensitive_grant), or role (unused_role: the whole role).
    first_seen DATE AS (value:first_seen::DATE), -- First date seen.
    last_seen DATE AS (value:last_seen::DATE), -- Latest date seen.
    alerted_on DATE AS (value:alerted_on::DATE) -- Date alerted; null if never.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/alert_ledger/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'Cumulative up to the date: every (role, item) ever found unused or granted on any resource, when first and last seen, and when alerted. analyze reads only the previous date''s ledger.';

-- role_owners: One row per role of the date (carried accounts included): its owner team, the step of the owner chain that decided it (tags, Terraform state + CODEOWNERS, CloudFormation stack rules, the owners file, the account owner, or none), and the Terraform resource or CloudFormation stack that manages it when known.
CREATE OR REPLACE EXTERNAL TABLE role_owners (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id that owns the role.
    account_name VARCHAR AS (value:account_name::VARCHAR), -- Account name from AWS Organizations.
    role_id VARCHAR AS (value:role_id::VARCHAR), -- Role id (AROA...).
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name.
    role_arn VARCHAR AS (value:role_arn::VARCHAR), -- Role ARN.
    owner_team VARCHAR AS (value:owner_team::VARCHAR), -- Owner team (unowned when no step of the owner chain names one).
    owner_source VARCHAR AS (value:owner_source::VARCHAR), -- tag | terraform | cloudformation | owners_file | account | unowned: the first step of the owner chain that named the team.
    owner_detail VARCHAR AS (value:owner_detail::VARCHAR), -- What exactly decided: the CODEOWNERS line and pattern, the owners-config entry, the owners file line, or the account entry.
    iac_kind VARCHAR AS (value:iac_kind::VARCHAR), -- terraform | cloudformation: what manages the role; null when neither is known.
    iac_state VARCHAR AS (value:iac_state::VARCHAR), -- The Terraform state (file path or s3:// URI) or the CloudFormation stack name.
    iac_module VARCHAR AS (value:iac_module::VARCHAR), -- Terraform module address (module.app); null in the root module and for CloudFormation.
    iac_address VARCHAR AS (value:iac_address::VARCHAR) -- Terraform resource address (module.app.aws_iam_role.this["api"]) or the CloudFormation logical id.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/role_owners/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'One row per role of the date (carried accounts included): its owner team, the step of the owner chain that decided it (tags, Terraform state + CODEOWNERS, CloudFormation stack rules, the owners file, the account owner, or none), and the Terraform resource or CloudFormation stack that manages it when known.';

-- alert_deliveries: Cumulative up to the date: every item (unused permission or sensitive grant of a role) delivered to each routed destination (--routes), and when. An item is sent to a destination once; a destination that failed has no row for it, so it is sent there next time.
CREATE OR REPLACE EXTERNAL TABLE alert_deliveries (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    destination VARCHAR AS (value:destination::VARCHAR), -- The destination's name in the routes file.
    account_id VARCHAR AS (value:account_id::VARCHAR), -- 12-digit AWS account id.
    role_id VARCHAR AS (value:role_id::VARCHAR), -- Role id (AROA...).
    role_name VARCHAR AS (value:role_name::VARCHAR), -- Role name.
    kind VARCHAR AS (value:kind::VARCHAR), -- unused | sensitive_grant.
    item VARCHAR AS (value:item::VARCHAR), -- The permission (unused) or the sensitive action (sensitive_grant).
    team VARCHAR AS (value:team::VARCHAR), -- The owner team it was routed for.
    delivered_on DATE AS (value:delivered_on::DATE), -- Date delivered.
    reference VARCHAR AS (value:reference::VARCHAR) -- What the destination answered, when it names something: the Jira issue key, the Opsgenie request id, the file written.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/alert_deliveries/
PATTERN = '.*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_parquet')
AUTO_REFRESH = FALSE
COMMENT = 'Cumulative up to the date: every item (unused permission or sensitive grant of a role) delivered to each routed destination (--routes), and when. An item is sent to a destination once; a destination that failed has no row for it, so it is sent there next time.';

-- snapshot_manifests: One row per snapshot manifest (_manifests/snapshot_date=D/manifest.json): a date is complete only when it has one.
CREATE OR REPLACE EXTERNAL TABLE snapshot_manifests (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    tool VARCHAR AS (value:tool::VARCHAR), -- Always iamlake.
    kind VARCHAR AS (value:kind::VARCHAR), -- snapshot | analyze.
    tool_version VARCHAR AS (value:tool_version::VARCHAR), -- Version of iamlake that wrote the date.
    schema_version NUMBER(19,0) AS (value:schema_version::NUMBER(19,0)), -- Schema version of the date's files (see docs/LAKE.md).
    snapshot_id VARCHAR AS (value:snapshot_id::VARCHAR), -- Id of the run, new for every run.
    source VARCHAR AS (value:source::VARCHAR), -- Where the run read from.
    started_at VARCHAR AS (value:started_at::VARCHAR), -- Start of the run, RFC 3339 text in UTC.
    finished_at VARCHAR AS (value:finished_at::VARCHAR), -- End of the run, RFC 3339 text in UTC.
    status VARCHAR AS (value:status::VARCHAR), -- complete | partial.
    sensitive_actions ARRAY AS (value:sensitive_actions::ARRAY), -- The sensitive actions the run evaluated on any resource.
    accounts ARRAY AS (value:accounts::ARRAY) -- Per account: whether collection succeeded, why not, and how many roles it holds.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/_manifests/
PATTERN = '.*_manifests/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/manifest[.]json'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_json')
AUTO_REFRESH = FALSE
COMMENT = 'One row per snapshot manifest (_manifests/snapshot_date=D/manifest.json): a date is complete only when it has one.';

-- analyze_manifests: One row per analyze manifest (_manifests/analyze/snapshot_date=D/manifest.json): the analyze tables of a date are complete only when it has one.
CREATE OR REPLACE EXTERNAL TABLE analyze_manifests (
    snapshot_date DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))), -- The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).
    tool VARCHAR AS (value:tool::VARCHAR), -- Always iamlake.
    kind VARCHAR AS (value:kind::VARCHAR), -- snapshot | analyze.
    tool_version VARCHAR AS (value:tool_version::VARCHAR), -- Version of iamlake that wrote the date.
    schema_version NUMBER(19,0) AS (value:schema_version::NUMBER(19,0)), -- Schema version of the date's files (see docs/LAKE.md).
    snapshot_id VARCHAR AS (value:snapshot_id::VARCHAR), -- Id of the run, new for every run.
    source VARCHAR AS (value:source::VARCHAR), -- Where the run read from.
    started_at VARCHAR AS (value:started_at::VARCHAR), -- Start of the run, RFC 3339 text in UTC.
    finished_at VARCHAR AS (value:finished_at::VARCHAR), -- End of the run, RFC 3339 text in UTC.
    status VARCHAR AS (value:status::VARCHAR), -- complete | partial.
    sensitive_actions ARRAY AS (value:sensitive_actions::ARRAY) -- The sensitive actions the run evaluated on any resource.
)
PARTITION BY (snapshot_date)
LOCATION = @iamlake_lake/_manifests/analyze/
PATTERN = '.*_manifests/analyze/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/manifest[.]json'
FILE_FORMAT = (FORMAT_NAME = 'iamlake_json')
AUTO_REFRESH = FALSE
COMMENT = 'One row per analyze manifest (_manifests/analyze/snapshot_date=D/manifest.json): the analyze tables of a date are complete only when it has one.';
