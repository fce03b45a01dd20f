-- iamlake warehouse tables for Amazon Athena over the lake at s3://YOUR-BUCKET/iamlake/
-- Generated from src/model by `iamlake sql --dialect athena --location s3://YOUR-BUCKET/iamlake`;
-- do not edit by hand. Schema version 5. Set-up: docs/WAREHOUSE.md.
--
-- Athena runs one statement per query: run them one by one (or split on the
-- blank lines), with the database iamlake selected for the tables.
-- Partition projection computes the partitions from snapshot_date, so there
-- is no MSCK REPAIR TABLE or ALTER TABLE ADD PARTITION: a new date is
-- queryable as soon as its files are in S3. A date without files reads as
-- empty. To change a table's columns, DROP TABLE it and run its CREATE again
-- (the data in S3 is untouched).

CREATE DATABASE IF NOT EXISTS iamlake
COMMENT 'iamlake: AWS IAM roles, their grants and unused permissions, per day';

CREATE EXTERNAL TABLE IF NOT EXISTS roles (
  `account_id` string COMMENT '12-digit AWS account id that owns the role.',
  `account_name` string COMMENT 'Account name from AWS Organizations.',
  `role_id` string COMMENT 'Stable unique id (AROA...); changes when a role is deleted and recreated under the same name.',
  `role_name` string COMMENT 'Role name.',
  `arn` string COMMENT 'Role ARN.',
  `path` string COMMENT 'IAM path, e.g. / or /service-role/.',
  `create_date` timestamp COMMENT 'When the role was created (UTC).',
  `description` string COMMENT 'Role description (from ListRoles; null when the source lacks it).',
  `max_session_duration` int COMMENT 'Maximum session duration in seconds (from ListRoles).',
  `permissions_boundary_arn` string COMMENT 'ARN of the permissions boundary policy, if one is set.',
  `trust_policy` string COMMENT 'Trust (assume-role) policy as normalized JSON text.',
  `trusted_principals` array<string> COMMENT 'Principals the trust policy allows, e.g. arn:aws:iam::123456789012:root, service:lambda.amazonaws.com, federated:...',
  `tags` map<string,string> COMMENT 'Role tags, key to value.',
  `owner_team` string COMMENT 'Owner from the role\'s tags (first of the configured tag keys, default team then owner); analyze adds owners-file rules.',
  `last_used_at` timestamp COMMENT 'When the role was last used (RoleLastUsed), null if never or unknown.',
  `last_used_region` string COMMENT 'Region of the last use.',
  `managed_policy_arns` array<string> COMMENT 'ARNs of the attached managed policies (customer and AWS managed).',
  `inline_policy_names` array<string> COMMENT 'Names of the role\'s inline policies.',
  `last_accessed_status` string COMMENT 'Whether the role\'s Access Advisor data was collected on this date: ok | failed | timed_out | missing. Anything but ok means its services are unknown that day (no last_accessed rows): analyze never calls them unused or used, and carries the role\'s last good data forward.',
  `scp_exempt` string COMMENT 'Why SCPs do not limit this role, as AWS exempts it: management_account | service_linked_role; null when the account\'s SCPs apply (schema version 3). The same reasons exempt it from the account\'s RCPs (schema version 5).'
)
COMMENT 'One row per IAM role in every collected account on the snapshot date.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/roles/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/roles/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS role_policies (
  `account_id` string COMMENT '12-digit AWS account id that owns the role.',
  `role_id` string COMMENT 'Role id (AROA...); the user id (AIDA...) on user rows.',
  `role_name` string COMMENT 'Role name; the user name on user rows.',
  `role_arn` string COMMENT 'Role ARN; the user ARN on user rows.',
  `kind` string COMMENT 'inline | customer_managed | aws_managed | boundary.',
  `policy_name` string COMMENT 'Policy name (the inline policy\'s name, or the managed policy\'s name).',
  `policy_arn` string COMMENT 'Managed policy ARN; null for inline policies.',
  `policy_version` string COMMENT 'Default version id of a managed policy (v1, v2, ...); null for inline policies.',
  `document` string COMMENT 'The policy document as normalized JSON text (compact, keys sorted).',
  `statement_count` int COMMENT 'Number of statements in the document.',
  `principal_type` string COMMENT 'role | user: whose row it is. For user rows the role_id, role_name and role_arn columns hold the IAM user\'s id (AIDA...), name and ARN. Null in partitions written before users were evaluated: every row there is a role\'s. Role queries filter coalesce(principal_type, \'role\') = \'role\'.',
  `via_group` string COMMENT 'For a user\'s row: the IAM group whose inline or attached policy this is (the user has it through the group); null for the user\'s own policies and for roles.'
)
COMMENT 'One row per policy that applies to a role or an IAM user (principal_type): inline, customer managed, AWS managed, or its permissions boundary; a user\'s rows include its groups\' inline and attached policies (via_group).'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/role_policies/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/role_policies/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS simulations (
  `account_id` string COMMENT '12-digit AWS account id that owns the role.',
  `role_id` string COMMENT 'Role id (AROA...); the user id (AIDA...) on user rows.',
  `role_name` string COMMENT 'Role name; the user name on user rows.',
  `role_arn` string COMMENT 'Role ARN; the user ARN on user rows.',
  `action` string COMMENT 'The sensitive action, e.g. iam:PassRole.',
  `resource` string COMMENT 'Always * : the question is whether the grant covers any resource (see docs/EVALUATION.md).',
  `decision` string COMMENT 'allowed | conditionally_allowed | implicit_deny | explicit_deny.',
  `decided_by` string COMMENT 'identity | boundary | scp: the layer that decided.',
  `matched_statements` array<struct<policy_id:string,layer:string,statement_index:int,sid:string,effect:string,conditional:boolean>> COMMENT 'Statements behind the decision.',
  `condition_keys` array<string> COMMENT 'Condition keys the decision depends on that the request did not carry (local evaluator: non-empty only for conditionally_allowed; the AWS simulator: its MissingContextValues).',
  `breadth` string COMMENT 'The widest breadth at which the action is allowed or conditionally allowed: any (every resource everywhere) | account (every resource of the action\'s types in the role\'s own account, any region) | pattern (some names, one region, or another account) | specific (named resources); null when allowed at none. A role is risky when a sensitive action is allowed at account or wider (schema version 3; see docs/EVALUATION.md#breadth).',
  `breadth_decision` string COMMENT 'The decision at breadth: allowed | conditionally_allowed; when breadth is null, the decision at the narrowest breadth asked (implicit_deny | explicit_deny).',
  `principal_type` string COMMENT 'role | user: whose row it is. For user rows the role_id, role_name and role_arn columns hold the IAM user\'s id (AIDA...), name and ARN. Null in partitions written before users were evaluated: every row there is a role\'s. Role queries filter coalesce(principal_type, \'role\') = \'role\'.'
)
COMMENT 'One row per (role, sensitive action): the decision for that action on any resource (*), with its reasons.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/simulations/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/simulations/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS last_accessed (
  `account_id` string COMMENT '12-digit AWS account id that owns the role.',
  `role_id` string COMMENT 'Role id (AROA...); the user id (AIDA...) on user rows.',
  `role_name` string COMMENT 'Role name; the user name on user rows.',
  `role_arn` string COMMENT 'Role ARN; the user ARN on user rows.',
  `service_namespace` string COMMENT 'Service prefix, e.g. s3.',
  `service_name` string COMMENT 'Service display name, e.g. Amazon S3.',
  `action` string COMMENT 'Full action name (s3:GetObject) for action rows; null for service rows.',
  `granularity` string COMMENT 'service | action.',
  `last_authenticated` timestamp COMMENT 'Last time the role used the service or action (UTC); null if never within the tracking period.',
  `last_authenticated_region` string COMMENT 'Region of that last use.',
  `last_authenticated_entity` string COMMENT 'ARN of the entity that last used it.',
  `total_authenticated_entities` int COMMENT 'Number of entities that used the service (service rows only).',
  `job_type` string COMMENT 'SERVICE_LEVEL or ACTION_LEVEL: the Access Advisor job the row came from.',
  `principal_type` string COMMENT 'role | user: whose row it is. For user rows the role_id, role_name and role_arn columns hold the IAM user\'s id (AIDA...), name and ARN. Null in partitions written before users were evaluated: every row there is a role\'s. Role queries filter coalesce(principal_type, \'role\') = \'role\'.'
)
COMMENT 'Access Advisor data: one row per (role, service) with granularity = service, plus one per tracked action with granularity = action.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/last_accessed/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/last_accessed/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS scps (
  `account_id` string COMMENT '12-digit AWS account id the policy applies to.',
  `level` int COMMENT 'Position on the account\'s path: 0 is the organization root, the highest is the account itself. Every level must allow an action (at least one of its policies).',
  `policy_id` string COMMENT 'Policy id (p-...), as decisions in simulations name it.',
  `document` string COMMENT 'The policy document as normalized JSON text (compact, keys sorted).'
)
COMMENT 'One row per service control policy applying to an account: every policy at every level of the account\'s path from the organization root (level 0) down to the account itself. An account without rows had no SCPs collected.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/scps/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/scps/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS rcps (
  `account_id` string COMMENT '12-digit AWS account id the policy applies to.',
  `level` int COMMENT 'Position on the account\'s path: 0 is the organization root, the highest is the account itself. Every level must allow an action (at least one of its policies).',
  `policy_id` string COMMENT 'Policy id (p-...), as decisions in simulations name it.',
  `document` string COMMENT 'The policy document as normalized JSON text (compact, keys sorted).'
)
COMMENT 'One row per resource control policy applying to an account\'s resources: every policy at every level of the account\'s path from the organization root (level 0) down to the account itself, with AWS\'s RCPFullAWSAccess (attached to every level, never detachable) listed at each level. An account without rows had no RCPs collected (or RCPs are not enabled in its organization).'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/rcps/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/rcps/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS credentials (
  `account_id` string COMMENT '12-digit AWS account id.',
  `account_name` string COMMENT 'Account name from AWS Organizations.',
  `user` string COMMENT 'User name as the report has it (<root_account> for the root user).',
  `arn` string COMMENT 'User ARN (…:root for the root user).',
  `is_root` boolean COMMENT 'Whether this is the account\'s root user.',
  `user_creation_time` timestamp COMMENT 'When the user was created (UTC).',
  `password_enabled` boolean COMMENT 'Whether the user has a console password; null for the root user (not_supported).',
  `password_last_used` timestamp COMMENT 'Last console sign-in; null when never (N/A) or before IAM tracked it (no_information).',
  `password_last_changed` timestamp COMMENT 'When the password was last set; null when N/A or not_supported.',
  `password_next_rotation` timestamp COMMENT 'When the password policy requires the next change; null when N/A or not_supported.',
  `mfa_active` boolean COMMENT 'Whether an MFA device is enabled.',
  `access_key_1_active` boolean COMMENT 'Whether the first access key exists and is active.',
  `access_key_1_last_rotated` timestamp COMMENT 'When the first access key was created or last rotated; null when N/A.',
  `access_key_1_last_used_date` timestamp COMMENT 'Last use of the first access key; null when never used (N/A).',
  `access_key_1_last_used_region` string COMMENT 'Region of that use; null when N/A.',
  `access_key_1_last_used_service` string COMMENT 'Service of that use (s3, ec2, …); null when N/A.',
  `access_key_2_active` boolean COMMENT 'Whether the second access key exists and is active.',
  `access_key_2_last_rotated` timestamp COMMENT 'When the second access key was created or last rotated; null when N/A.',
  `access_key_2_last_used_date` timestamp COMMENT 'Last use of the second access key; null when never used (N/A).',
  `access_key_2_last_used_region` string COMMENT 'Region of that use; null when N/A.',
  `access_key_2_last_used_service` string COMMENT 'Service of that use; null when N/A.',
  `cert_1_active` boolean COMMENT 'Whether the first signing certificate is active.',
  `cert_1_last_rotated` timestamp COMMENT 'When the first signing certificate was created or last rotated; null when N/A.',
  `cert_2_active` boolean COMMENT 'Whether the second signing certificate is active.',
  `cert_2_last_rotated` timestamp COMMENT 'When the second signing certificate was created or last rotated; null when N/A.'
)
COMMENT 'One row per line of each account\'s IAM credential report (GenerateCredentialReport / GetCredentialReport): the root user and every IAM user, with password, MFA, access keys and certificates. An account collected without a report has no rows (its credentials are unknown: every report has a root line).'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/credentials/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/credentials/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS users (
  `account_id` string COMMENT '12-digit AWS account id that owns the user.',
  `account_name` string COMMENT 'Account name from AWS Organizations.',
  `user_id` string COMMENT 'Stable unique id (AIDA...); changes when a user is deleted and recreated under the same name.',
  `user_name` string COMMENT 'User name.',
  `arn` string COMMENT 'User ARN (credentials.arn for the same user).',
  `path` string COMMENT 'IAM path, e.g. / or /ci/.',
  `create_date` timestamp COMMENT 'When the user was created (UTC).',
  `tags` map<string,string> COMMENT 'User tags, key to value.',
  `owner_team` string COMMENT 'Owner from the user\'s tags (the configured tag keys, as for roles).',
  `groups` array<string> COMMENT 'Names of the groups the user is in.',
  `permissions_boundary_arn` string COMMENT 'ARN of the permissions boundary policy, if one is set.',
  `inline_policy_names` array<string> COMMENT 'Names of the user\'s own inline policies.',
  `managed_policy_arns` array<string> COMMENT 'ARNs of the managed policies attached to the user itself.',
  `group_inline_policy_names` array<string> COMMENT 'Inline policies of the user\'s groups, as group/policy.',
  `group_managed_policy_arns` array<string> COMMENT 'ARNs of the managed policies attached to the user\'s groups (each once).',
  `last_accessed_status` string COMMENT 'Whether the user\'s Access Advisor data was collected on this date: ok | failed | timed_out | missing (as roles.last_accessed_status; the data is in last_accessed with principal_type user).'
)
COMMENT 'One row per IAM user in every collected account on the snapshot date (GetAccountAuthorizationDetails UserDetailList), with its groups and the policies it has directly and through them.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/users/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/users/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS policy_lints (
  `account_id` string COMMENT '12-digit AWS account id the policy was collected from.',
  `policy_kind` string COMMENT 'inline | customer_managed | aws_managed (as in role_policies.kind; a permissions boundary is its managed policy).',
  `policy_name` string COMMENT 'The inline policy\'s name, or the managed policy\'s name.',
  `policy_arn` string COMMENT 'Managed policy ARN; null for inline policies.',
  `role_name` string COMMENT 'The role holding the inline policy; null for managed policies (checked once per account).',
  `role_arn` string COMMENT 'ARN of the role holding the inline policy; null for managed policies.',
  `json_path` string COMMENT 'Where in the document: Statement[1].Action[0], Statement[0].Condition.StringEquals.aws:SoureIp (no index for a single value).',
  `kind` string COMMENT 'unknown_service | unknown_action | no_matching_action | unknown_condition_key.',
  `name` string COMMENT 'The action, action pattern or condition key as written in the policy.',
  `suggestion` string COMMENT 'The closest real action of the service for an unknown action, when one is close; else null.',
  `message` string COMMENT 'The finding in words, e.g. unknown action s3:GetObjekt (did you mean s3:GetObject?).'
)
COMMENT 'One row per unknown action, action pattern matching nothing, or unknown condition key in an identity policy collected by the snapshot, checked against the bundled Service Authorization Reference. Managed policies attached to (or bounding) a role are checked once per account; inline policies once per role. Trust policies are not checked (their federated condition keys are the identity provider\'s).'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/policy_lints/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/policy_lints/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS unused_permissions (
  `account_id` string COMMENT '12-digit AWS account id that owns the role.',
  `account_name` string COMMENT 'Account name from AWS Organizations.',
  `role_id` string COMMENT 'Role id (AROA...).',
  `role_name` string COMMENT 'Role name.',
  `role_arn` string COMMENT 'Role ARN.',
  `owner_team` string COMMENT 'Owner team (unowned when no step of the owner chain names one).',
  `owner_source` string COMMENT 'tag | terraform | cloudformation | owners_file | account | unowned: the step of the owner chain that named owner_team (see role_owners).',
  `permission` string COMMENT 'The unused permission: a service namespace (s3) or an action (s3:PutObject).',
  `service_namespace` string COMMENT 'Service namespace of the permission.',
  `granularity` string COMMENT 'service | action.',
  `last_used_at` timestamp COMMENT 'Last use per Access Advisor; null when never used in the tracking period.',
  `days_unused` int COMMENT 'Whole days from the last use (or, if never used, the role\'s creation) to the snapshot date.',
  `review_status` string COMMENT 'open | kept | to_delete, from the reviews file.',
  `review_reason` string COMMENT 'The review\'s reason.',
  `reviewer` string COMMENT 'Who reviewed it.',
  `first_seen` date COMMENT 'First snapshot date on which this permission was found unused (from the alert ledger).',
  `alerted_on` date COMMENT 'Date its owner team was alerted, null if never.',
  `data_date` date COMMENT 'Date of the Access Advisor data the row was computed from: the snapshot date, or an earlier one when the account or the role\'s Access Advisor job failed on this date and its last good data was carried forward (days_unused then counts to that date).',
  `iac_state` string COMMENT 'The Terraform state (file path or s3:// URI) that manages the role; null when no state read manages it.',
  `iac_address` string COMMENT 'The role\'s Terraform resource address (module.app.aws_iam_role.this["api"]).',
  `grant_policy` string COMMENT 'The policy that grants the permission: inline:<name> or the policy ARN (the first Allow statement covering it, inline policies first).',
  `grant_statement` string COMMENT 'The statement of grant_policy that grants it: statement <0-based index> (<Sid>).',
  `grant_state` string COMMENT 'The Terraform state holding grant_address.',
  `grant_address` string COMMENT 'The Terraform resource to change: the aws_iam_role_policy (or the role\'s inline_policy block) or aws_iam_policy holding the statement; for an AWS managed policy, its attachment. Null when no state read holds it.'
)
COMMENT 'One row per (role, permission) granted but unused for at least the threshold (default 90 days) on the date. Service rows mean the whole service is unused; action rows are unused actions of a service that is otherwise used.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/unused_permissions/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/unused_permissions/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS unused_roles (
  `account_id` string COMMENT '12-digit AWS account id that owns the role.',
  `account_name` string COMMENT 'Account name from AWS Organizations.',
  `role_id` string COMMENT 'Role id (AROA...).',
  `role_name` string COMMENT 'Role name.',
  `role_arn` string COMMENT 'Role ARN.',
  `path` string COMMENT 'IAM path of the role.',
  `service_linked` boolean COMMENT 'Whether the role is service-linked (path /aws-service-role/): managed by AWS, reported apart.',
  `owner_team` string COMMENT 'Owner team (unowned when neither tags nor the owners file name one).',
  `owner_source` string COMMENT 'tag | owners_file | unowned: where owner_team came from.',
  `create_date` timestamp COMMENT 'When the role was created (UTC).',
  `last_used_at` timestamp COMMENT 'Last use per RoleLastUsed; null when not used within IAM\'s tracking period (400 days).',
  `last_used_region` string COMMENT 'Region of the last use.',
  `days_unused` int COMMENT 'Whole days from the last use (or, if never used, the role\'s creation) to data_date.',
  `trusted_principals` array<string> COMMENT 'Every principal the trust policy allows (as in roles.trusted_principals).',
  `trusted_accounts` array<string> COMMENT 'Account ids of the AWS principals the trust policy allows (the role\'s own account included), sorted.',
  `trusted_services` array<string> COMMENT 'Service principals the trust policy allows (lambda.amazonaws.com), sorted.',
  `external_accounts` array<string> COMMENT 'Trusted account ids outside the organization (not among the accounts of the snapshot manifest nor of any role), and * when anyone may assume the role.',
  `trusts_outside_org` boolean COMMENT 'Whether external_accounts is not empty: a cross-account role the audit asks about.',
  `review_status` string COMMENT 'open | kept | to_delete, from the reviews file (a line with permission = role).',
  `review_reason` string COMMENT 'The review\'s reason.',
  `reviewer` string COMMENT 'Who reviewed it.',
  `first_seen` date COMMENT 'First snapshot date on which the role was found unused (from the alert ledger, kind unused_role).',
  `alerted_on` date COMMENT 'Date its owner team was alerted, null if never.',
  `data_date` date COMMENT 'Date of the role\'s data: the snapshot date, or an earlier one when its account failed on this date and its last good snapshot was carried (days_unused then counts to that date).'
)
COMMENT 'One row per role not used (RoleLastUsed) for at least the threshold (default 90 days) on the date, with its trust. Service-linked roles (path /aws-service-role/) are rows with service_linked = true: never alerted and not in the deltas or team counts of unused roles.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/unused_roles/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/unused_roles/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS credential_findings (
  `account_id` string COMMENT '12-digit AWS account id.',
  `account_name` string COMMENT 'Account name from AWS Organizations.',
  `user` string COMMENT 'User name (<root_account> for the root user).',
  `arn` string COMMENT 'User ARN.',
  `finding` string COMMENT 'access_key_unused | access_key_old | console_without_mfa | inactive_user.',
  `access_key` int COMMENT '1 or 2: which access key (access_key_* findings only).',
  `last_used_at` timestamp COMMENT 'The last use the finding is about: the key\'s, the password\'s (console_without_mfa), or the user\'s latest of both (inactive_user); null when never.',
  `days` int COMMENT 'Whole days to data_date: since the last use (or the key\'s or user\'s creation when never used) for access_key_unused and inactive_user, since the key\'s last rotation for access_key_old; null for console_without_mfa.',
  `data_date` date COMMENT 'Date of the credential report: the snapshot date, or an earlier one when the account was carried.',
  `owner_team` string COMMENT 'Owner team of the user (unowned when no step names one): the user\'s tag (users.owner_team), else the owners file (a rule\'s role glob matches the user name, its path_prefix the user\'s path), else the account\'s default team (--owners-config [accounts]). The root user has no tags: its account\'s rules decide.',
  `owner_source` string COMMENT 'tag | owners_file | account | unowned: the step that named owner_team.'
)
COMMENT 'One row per finding of the credential reports on the date: access_key_unused, access_key_old, console_without_mfa, inactive_user (rules in docs/ANALYZE.md#credentials). Accounts without a report on the date (or carried) have none.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/credential_findings/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/credential_findings/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS unused_deltas (
  `account_id` string COMMENT '12-digit AWS account id that owns the role.',
  `role_id` string COMMENT 'Role id (AROA...): a role deleted and recreated under the same name is a different role.',
  `role_name` string COMMENT 'Role name.',
  `role_arn` string COMMENT 'Role ARN.',
  `owner_team` string COMMENT 'Owner team on the date (for resolved rows of deleted roles, on the previous date).',
  `permission` string COMMENT 'Service namespace or action; role for rows about a whole unused role.',
  `granularity` string COMMENT 'service | action | role (a whole unused role, see unused_roles; never service-linked).',
  `change` string COMMENT 'new (never seen unused before) | reappeared (unused before, then not, now again) | resolved (unused on the previous snapshot, not now).',
  `resolution` string COMMENT 'For resolved rows: used | removed (no longer granted; not for role rows) | role_deleted.',
  `previous_snapshot_date` date COMMENT 'The snapshot compared against; null on the first snapshot.'
)
COMMENT 'One row per unused permission, or unused role (granularity role), that is new, reappeared or resolved since the previous complete snapshot.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/unused_deltas/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/unused_deltas/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS team_summary (
  `owner_team` string COMMENT 'Owner team (unowned collects roles nobody owns).',
  `roles` int COMMENT 'Roles the team owns.',
  `risky_roles` int COMMENT 'Risky roles: allowed at least one sensitive action at account breadth or wider (every resource of its types in the role\'s own account, or more). Before schema version 3: on any resource.',
  `risky_by_action` array<struct<action:string,allowed:int,conditionally_allowed:int,allowed_on_any_resource:int>> COMMENT 'Per sensitive action: roles allowed, and conditionally allowed, at account breadth or wider.',
  `risky_roles_on_any_resource` int COMMENT 'Roles allowed at least one sensitive action on any resource (`*`): risky_roles before schema version 3. Null in partitions before version 3.',
  `passrole_roles` int COMMENT 'Roles whose policies grant iam:PassRole (invisible to Access Advisor, so never reported unused).',
  `unused_open` int COMMENT 'Unused permissions not yet reviewed.',
  `unused_kept` int COMMENT 'Unused permissions reviewed keep.',
  `unused_to_delete` int COMMENT 'Unused permissions reviewed delete and still granted.',
  `unused_done` int COMMENT 'Delete reviews whose permission is gone from the role.',
  `unused_new` int COMMENT 'Unused permissions new or reappeared since the previous snapshot.',
  `review_progress` double COMMENT 'Reviewed share: (kept + to_delete + done) / (open + kept + to_delete + done); null when there is nothing to review.',
  `roles_carried` int COMMENT 'Of roles, those whose data was carried from an earlier date because their account could not be collected on this one.',
  `unused_roles_open` int COMMENT 'Unused roles (not service-linked) not yet reviewed.',
  `unused_roles_kept` int COMMENT 'Unused roles reviewed keep.',
  `unused_roles_to_delete` int COMMENT 'Unused roles reviewed delete and still present.',
  `unused_roles_done` int COMMENT 'Delete reviews of roles that are gone.',
  `unused_roles_new` int COMMENT 'Unused roles new or reappeared since the previous snapshot.',
  `unused_roles_outside_org` int COMMENT 'Unused roles (not service-linked) that accounts outside the organization (or anyone) may assume.',
  `unused_service_linked_roles` int COMMENT 'Unused service-linked roles, counted apart (AWS manages them).'
)
COMMENT 'One row per owner team: its roles, sensitive grants on any resource, unused permissions by review status, and review progress.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/team_summary/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/team_summary/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS daily_summary (
  `scope` string COMMENT 'organization | account.',
  `account_id` string COMMENT 'The account (null for the organization row).',
  `account_name` string COMMENT 'Account name.',
  `roles` int COMMENT 'Roles.',
  `risky_roles` int COMMENT 'Risky roles: allowed at least one sensitive action at account breadth or wider (every resource of its types in the role\'s own account, or more). Before schema version 3: on any resource.',
  `risky_by_action` array<struct<action:string,allowed:int,conditionally_allowed:int,allowed_on_any_resource:int>> COMMENT 'Per sensitive action: roles allowed, and conditionally allowed, at account breadth or wider.',
  `risky_roles_on_any_resource` int COMMENT 'Roles allowed at least one sensitive action on any resource (`*`): risky_roles before schema version 3. Null in partitions before version 3.',
  `unused_permissions` int COMMENT 'Unused permissions (any review status).',
  `unused_open` int COMMENT 'Unused permissions not yet reviewed.',
  `unused_new` int COMMENT 'New or reappeared since the previous snapshot.',
  `unused_resolved` int COMMENT 'Resolved since the previous snapshot.',
  `unowned_roles` int COMMENT 'Roles with no owner team.',
  `account_status` string COMMENT 'Account rows: ok (collected on this date) | carried (collection failed; its roles are counted from data_date, its last good snapshot) | no_data (collection failed and no earlier snapshot has it: counted nowhere). Null for the organization row.',
  `data_date` date COMMENT 'Account rows: the snapshot date the account\'s numbers come from (null for no_data and for the organization row).',
  `ou_path` string COMMENT 'Account rows: the account\'s place in the organization, root first (r-.../ou-.../...), when known.',
  `failure_reason` string COMMENT 'Account rows: why collection failed on this date (null when ok).',
  `accounts_carried` int COMMENT 'Accounts whose data was carried from an earlier date (0 or 1 on account rows).',
  `accounts_without_data` int COMMENT 'Accounts that failed with no earlier data to carry: their roles are missing from every count (0 or 1 on account rows).',
  `roles_access_carried` int COMMENT 'Roles whose Access Advisor data came from an earlier date (their own job failed or timed out, or their account was carried).',
  `roles_access_unknown` int COMMENT 'Roles with no Access Advisor data on this date or before: their unused permissions are unknown and not counted.',
  `unused_roles` int COMMENT 'Unused roles, service-linked ones excluded.',
  `unused_roles_new` int COMMENT 'Unused roles new or reappeared since the previous snapshot.',
  `unused_roles_resolved` int COMMENT 'Unused roles on the previous snapshot that are used or deleted now.',
  `unused_service_linked_roles` int COMMENT 'Unused service-linked roles, counted apart.',
  `risky_users` int COMMENT 'IAM users allowed at least one sensitive action at account breadth or wider (simulations rows with principal_type user, the roles\' rule), counted apart from roles. Null in partitions analyzed before users were evaluated.'
)
COMMENT 'Per snapshot date, one organization-wide row and one row per account: the trend series for leadership charts.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/daily_summary/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/daily_summary/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS passrole_grants (
  `account_id` string COMMENT '12-digit AWS account id.',
  `role_id` string COMMENT 'Role id (AROA...).',
  `role_name` string COMMENT 'Role name.',
  `role_arn` string COMMENT 'Role ARN.',
  `owner_team` string COMMENT 'Owner team.',
  `decision_on_any_resource` string COMMENT 'The snapshot\'s decision for iam:PassRole on any resource (implicit_deny means it is granted on specific roles only).'
)
COMMENT 'Roles whose policies grant iam:PassRole. Access Advisor cannot see PassRole use, so these are reported here and never as unused.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/passrole_grants/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/passrole_grants/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS review_status (
  `account` string COMMENT 'Account id or name, as written in the reviews file.',
  `role_name` string COMMENT 'Role name, as written.',
  `permission` string COMMENT 'Service or action, as written; role for a review of the whole (unused) role.',
  `decision` string COMMENT 'keep | delete.',
  `reason` string COMMENT 'Why (required for keep).',
  `reviewer` string COMMENT 'Who decided.',
  `review_date` date COMMENT 'When.',
  `owner_team` string COMMENT 'Owner team of the role, when it exists.',
  `status` string COMMENT 'applied (matches a granted permission, or an existing role) | done (delete review whose permission, or role, is gone) | expired (past its expires date: the permission is open again) | invalidated (the role\'s grant of the permission changed since the review: open again) | no_data (the role\'s data is unknown on the date) | unknown_role | unknown_permission.',
  `source` string COMMENT 'File and line of the review.',
  `expires` date COMMENT 'Last date the review holds (from the reviews file); after it the permission reopens.',
  `grant_fingerprint` string COMMENT 'SHA-256 of the statements that granted the permission when analyze first saw the review with the permission granted; carried from run to run, it is what a later grant is compared with.',
  `invalidated_on` date COMMENT 'First date the role\'s grant of the permission differed from grant_fingerprint; the review stays invalidated until its line is changed (a new review).'
)
COMMENT 'One row per line of the reviews file and what became of it on the date.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/review_status/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/review_status/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS alert_ledger (
  `account_id` string COMMENT '12-digit AWS account id.',
  `role_id` string COMMENT 'Role id (AROA...).',
  `role_name` string COMMENT 'Role name.',
  `kind` string COMMENT 'unused | sensitive_grant | unused_role.',
  `item` string COMMENT 'The permission (unused), the sensitive action (sensitive_grant), or role (unused_role: the whole role).',
  `first_seen` date COMMENT 'First date seen.',
  `last_seen` date COMMENT 'Latest date seen.',
  `alerted_on` date COMMENT 'Date alerted; null if never.'
)
COMMENT 'Cumulative up to the date: every (role, item) ever found unused or granted on any resource, when first and last seen, and when alerted. analyze reads only the previous date\'s ledger.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/alert_ledger/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/alert_ledger/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS role_owners (
  `account_id` string COMMENT '12-digit AWS account id that owns the role.',
  `account_name` string COMMENT 'Account name from AWS Organizations.',
  `role_id` string COMMENT 'Role id (AROA...).',
  `role_name` string COMMENT 'Role name.',
  `role_arn` string COMMENT 'Role ARN.',
  `owner_team` string COMMENT 'Owner team (unowned when no step of the owner chain names one).',
  `owner_source` string COMMENT 'tag | terraform | cloudformation | owners_file | account | unowned: the first step of the owner chain that named the team.',
  `owner_detail` string COMMENT 'What exactly decided: the CODEOWNERS line and pattern, the owners-config entry, the owners file line, or the account entry.',
  `iac_kind` string COMMENT 'terraform | cloudformation: what manages the role; null when neither is known.',
  `iac_state` string COMMENT 'The Terraform state (file path or s3:// URI) or the CloudFormation stack name.',
  `iac_module` string COMMENT 'Terraform module address (module.app); null in the root module and for CloudFormation.',
  `iac_address` string COMMENT 'Terraform resource address (module.app.aws_iam_role.this["api"]) or the CloudFormation logical id.'
)
COMMENT 'One row per role of the date (carried accounts included): its owner team, the step of the owner chain that decided it (tags, Terraform state + CODEOWNERS, CloudFormation stack rules, the owners file, the account owner, or none), and the Terraform resource or CloudFormation stack that manages it when known.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/role_owners/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/role_owners/snapshot_date=${snapshot_date}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS alert_deliveries (
  `destination` string COMMENT 'The destination\'s name in the routes file.',
  `account_id` string COMMENT '12-digit AWS account id.',
  `role_id` string COMMENT 'Role id (AROA...).',
  `role_name` string COMMENT 'Role name.',
  `kind` string COMMENT 'unused | sensitive_grant.',
  `item` string COMMENT 'The permission (unused) or the sensitive action (sensitive_grant).',
  `team` string COMMENT 'The owner team it was routed for.',
  `delivered_on` date COMMENT 'Date delivered.',
  `reference` string COMMENT 'What the destination answered, when it names something: the Jira issue key, the Opsgenie request id, the file written.'
)
COMMENT 'Cumulative up to the date: every item (unused permission or sensitive grant of a role) delivered to each routed destination (--routes), and when. An item is sent to a destination once; a destination that failed has no row for it, so it is sent there next time.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/iamlake/alert_deliveries/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/alert_deliveries/snapshot_date=${snapshot_date}/'
);

-- Amazon Ion is a superset of JSON and, unlike the JSON SerDes, reads
-- pretty-printed documents that span lines: hence STORED AS ION.
CREATE EXTERNAL TABLE IF NOT EXISTS snapshot_manifests (
  `tool` string COMMENT 'Always iamlake.',
  `kind` string COMMENT 'snapshot | analyze.',
  `tool_version` string COMMENT 'Version of iamlake that wrote the date.',
  `schema_version` bigint COMMENT 'Schema version of the date\'s files (see docs/LAKE.md).',
  `snapshot_id` string COMMENT 'Id of the run, new for every run.',
  `source` string COMMENT 'Where the run read from.',
  `started_at` string COMMENT 'Start of the run, RFC 3339 text in UTC.',
  `finished_at` string COMMENT 'End of the run, RFC 3339 text in UTC.',
  `status` string COMMENT 'complete | partial.',
  `sensitive_actions` array<string> COMMENT 'The sensitive actions the run evaluated on any resource.',
  `accounts` array<struct<account_id:string,account_name:string,ou_path:string,status:string,reason:string,roles:bigint,roles_without_last_accessed:bigint>> COMMENT 'Per account: whether collection succeeded, why not, and how many roles it holds.'
)
COMMENT 'One row per snapshot manifest (_manifests/snapshot_date=D/manifest.json): a date is complete only when it has one.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS ION
LOCATION 's3://YOUR-BUCKET/iamlake/_manifests/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/_manifests/snapshot_date=${snapshot_date}/'
);

-- Amazon Ion is a superset of JSON and, unlike the JSON SerDes, reads
-- pretty-printed documents that span lines: hence STORED AS ION.
CREATE EXTERNAL TABLE IF NOT EXISTS analyze_manifests (
  `tool` string COMMENT 'Always iamlake.',
  `kind` string COMMENT 'snapshot | analyze.',
  `tool_version` string COMMENT 'Version of iamlake that wrote the date.',
  `schema_version` bigint COMMENT 'Schema version of the date\'s files (see docs/LAKE.md).',
  `snapshot_id` string COMMENT 'Id of the run, new for every run.',
  `source` string COMMENT 'Where the run read from.',
  `started_at` string COMMENT 'Start of the run, RFC 3339 text in UTC.',
  `finished_at` string COMMENT 'End of the run, RFC 3339 text in UTC.',
  `status` string COMMENT 'complete | partial.',
  `sensitive_actions` array<string> COMMENT 'The sensitive actions the run evaluated on any resource.'
)
COMMENT 'One row per analyze manifest (_manifests/analyze/snapshot_date=D/manifest.json): the analyze tables of a date are complete only when it has one.'
PARTITIONED BY (`snapshot_date` string COMMENT 'The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).')
STORED AS ION
LOCATION 's3://YOUR-BUCKET/iamlake/_manifests/analyze/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.snapshot_date.type' = 'date',
  'projection.snapshot_date.format' = 'yyyy-MM-dd',
  'projection.snapshot_date.range' = '2020-01-01,NOW',
  'projection.snapshot_date.interval' = '1',
  'projection.snapshot_date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://YOUR-BUCKET/iamlake/_manifests/analyze/snapshot_date=${snapshot_date}/'
);
