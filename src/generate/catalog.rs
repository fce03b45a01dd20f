//! Fixed reference data for the generator: the AWS services Access Advisor reports on, teams and application names, regions, and small but faithful copies of the AWS managed policies roles attach.

use crate::generate::policy::{Effect, PolicyDocument, Statement};

/// An AWS service as Access Advisor names it. `tracked` lists the actions for
/// which action-level last-accessed data exists (only for the services AWS
/// tracks at action level in this generator: s3, ec2, iam, lambda); at most 16.
pub(crate) struct Service {
    pub ns: &'static str,
    pub name: &'static str,
    pub tracked: &'static [&'static str],
    /// Global services report their activity in us-east-1.
    pub global: bool,
}

const fn svc(ns: &'static str, name: &'static str) -> Service {
    Service {
        ns,
        name,
        tracked: &[],
        global: false,
    }
}

const fn global(ns: &'static str, name: &'static str) -> Service {
    Service {
        ns,
        name,
        tracked: &[],
        global: true,
    }
}

/// The service catalog. Real Access Advisor knows ~400 services (so a role with
/// `Action: "*"` gets ~400 entries); this abridged catalog keeps files small
/// while covering everything the generated policies mention.
pub(crate) const SERVICES: &[Service] = &[
    Service {
        ns: "s3",
        name: "Amazon S3",
        tracked: &[
            "CreateBucket",
            "DeleteBucket",
            "DeleteObject",
            "GetBucketPolicy",
            "GetObject",
            "ListBucket",
            "PutBucketPolicy",
            "PutObject",
        ],
        global: false,
    },
    Service {
        ns: "ec2",
        name: "Amazon EC2",
        tracked: &[
            "AuthorizeSecurityGroupIngress",
            "CreateSecurityGroup",
            "DescribeInstances",
            "RunInstances",
            "TerminateInstances",
        ],
        global: false,
    },
    Service {
        ns: "iam",
        name: "AWS Identity and Access Management",
        tracked: &[
            "AttachRolePolicy",
            "CreateRole",
            "DeleteRole",
            "GetRole",
            "ListRoles",
            "PassRole",
            "PutRolePolicy",
        ],
        global: true,
    },
    Service {
        ns: "lambda",
        name: "AWS Lambda",
        tracked: &[
            "CreateFunction",
            "GetFunction",
            "InvokeFunction",
            "ListFunctions",
            "UpdateFunctionCode",
        ],
        global: false,
    },
    global("account", "AWS Account Management"),
    svc("application-autoscaling", "Application Auto Scaling"),
    svc("athena", "Amazon Athena"),
    svc("autoscaling", "Amazon EC2 Auto Scaling"),
    svc("cloudformation", "AWS CloudFormation"),
    global("cloudtrail", "AWS CloudTrail"),
    svc("cloudwatch", "Amazon CloudWatch"),
    svc("codebuild", "AWS CodeBuild"),
    svc("config", "AWS Config"),
    svc("dynamodb", "Amazon DynamoDB"),
    svc("ecr", "Amazon Elastic Container Registry"),
    svc("ecs", "Amazon Elastic Container Service"),
    svc("elasticache", "Amazon ElastiCache"),
    svc("elasticloadbalancing", "Elastic Load Balancing"),
    svc("events", "Amazon EventBridge"),
    svc("firehose", "Amazon Kinesis Firehose"),
    svc("glue", "AWS Glue"),
    svc("guardduty", "Amazon GuardDuty"),
    svc("kinesis", "Amazon Kinesis"),
    svc("kms", "AWS Key Management Service"),
    svc("logs", "Amazon CloudWatch Logs"),
    global("organizations", "AWS Organizations"),
    svc("rds", "Amazon RDS"),
    global("route53", "Amazon Route 53"),
    svc("s3-object-lambda", "Amazon S3 Object Lambda"),
    svc("sagemaker", "Amazon SageMaker"),
    svc("secretsmanager", "AWS Secrets Manager"),
    svc("securityhub", "AWS Security Hub"),
    svc("sns", "Amazon SNS"),
    svc("sqs", "Amazon SQS"),
    svc("ssm", "AWS Systems Manager"),
    svc("states", "AWS Step Functions"),
    global("sts", "AWS Security Token Service"),
    global("support", "AWS Support"),
    svc("tag", "AWS Resource Groups Tagging API"),
    svc("xray", "AWS X-Ray"),
];

pub(crate) const TEAMS: &[&str] = &[
    "payments",
    "identity",
    "data-platform",
    "web",
    "mobile",
    "ml",
    "sre",
    "security",
];

pub(crate) const APPS: &[&str] = &[
    "orders",
    "ledger",
    "checkout",
    "auth",
    "sessions",
    "ingest",
    "etl",
    "reports",
    "notifier",
    "search",
    "images",
    "billing",
    "profile",
    "events",
    "sync",
    "export",
    "gateway",
    "scheduler",
    "fraud",
    "catalog",
];

pub(crate) const REGIONS: &[&str] = &[
    "us-east-1",
    "eu-west-1",
    "us-west-2",
    "eu-central-1",
    "ap-southeast-2",
];

pub(crate) const PEOPLE: &[&str] = &[
    "alice.nguyen",
    "bob.martin",
    "carla.rossi",
    "dev.patel",
    "erin.okafor",
    "farid.haddad",
    "grace.kim",
    "hugo.lambert",
];

/// An AWS managed policy that roles may attach or use as a boundary.
pub(crate) struct AwsPolicy {
    pub name: &'static str,
    pub id: &'static str,
    pub path: &'static str,
    pub version: &'static str,
    pub create: &'static str,
    pub update: &'static str,
}

impl AwsPolicy {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }
}

/// Indexes into [`AWS_POLICIES`].
pub(crate) const ADMIN: usize = 0;
pub(crate) const READ_ONLY: usize = 1;
pub(crate) const S3_READ_ONLY: usize = 2;
pub(crate) const SSM_READ_ONLY: usize = 3;
pub(crate) const LAMBDA_BASIC: usize = 4;
pub(crate) const DYNAMODB_READ_ONLY: usize = 5;
pub(crate) const POWER_USER: usize = 6;

pub(crate) const AWS_POLICIES: &[AwsPolicy] = &[
    AwsPolicy {
        name: "AdministratorAccess",
        id: "ANPAIWMBCKSKIEE64ZLYK",
        path: "/",
        version: "v1",
        create: "2015-02-06T18:39:46+00:00",
        update: "2015-02-06T18:39:46+00:00",
    },
    AwsPolicy {
        name: "ReadOnlyAccess",
        id: "ANPAILL3HVNFSB6DCOWYQ",
        path: "/",
        version: "v121",
        create: "2015-02-06T18:39:48+00:00",
        update: "2025-06-12T17:28:04+00:00",
    },
    AwsPolicy {
        name: "AmazonS3ReadOnlyAccess",
        id: "ANPAIZTJ4DXE7G6AGAE6M",
        path: "/",
        version: "v3",
        create: "2015-02-06T18:40:59+00:00",
        update: "2023-08-10T21:31:39+00:00",
    },
    AwsPolicy {
        name: "AmazonSSMReadOnlyAccess",
        id: "ANPAJODSKQGGJTHRYZ5FC",
        path: "/",
        version: "v1",
        create: "2015-05-29T17:44:19+00:00",
        update: "2015-05-29T17:44:19+00:00",
    },
    AwsPolicy {
        name: "AWSLambdaBasicExecutionRole",
        id: "ANPAJNCQGXC42545SKXIK",
        path: "/service-role/",
        version: "v1",
        create: "2015-04-09T15:03:43+00:00",
        update: "2015-04-09T15:03:43+00:00",
    },
    AwsPolicy {
        name: "AmazonDynamoDBReadOnlyAccess",
        id: "ANPAIY2XFNA232XJ6J7X2",
        path: "/",
        version: "v13",
        create: "2015-02-06T18:40:37+00:00",
        update: "2024-01-30T22:11:57+00:00",
    },
    AwsPolicy {
        name: "PowerUserAccess",
        id: "ANPAJYRXTHIB4FOVS3ZXS",
        path: "/",
        version: "v5",
        create: "2015-02-06T18:39:47+00:00",
        update: "2023-07-06T22:04:00+00:00",
    },
];

/// Documents of [`AWS_POLICIES`], built once per run and shared by all accounts.
pub(crate) struct Catalog {
    pub aws_docs: Vec<PolicyDocument>,
}

impl Catalog {
    pub fn new() -> Self {
        Catalog {
            aws_docs: vec![
                PolicyDocument::new(vec![Statement::allow(&["*"], &["*"])]),
                read_only_access(),
                PolicyDocument::new(vec![Statement::allow(
                    &[
                        "s3:Get*",
                        "s3:List*",
                        "s3:Describe*",
                        "s3-object-lambda:Get*",
                        "s3-object-lambda:List*",
                    ],
                    &["*"],
                )]),
                PolicyDocument::new(vec![Statement::allow(
                    &["ssm:Describe*", "ssm:Get*", "ssm:List*"],
                    &["*"],
                )]),
                PolicyDocument::new(vec![Statement::allow(
                    &[
                        "logs:CreateLogGroup",
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                    ],
                    &["*"],
                )]),
                dynamodb_read_only(),
                PolicyDocument::new(vec![
                    Statement::not_action(
                        Effect::Allow,
                        &["iam:*", "organizations:*", "account:*"],
                    ),
                    Statement::allow(
                        &[
                            "account:GetAccountInformation",
                            "account:GetPrimaryEmail",
                            "account:ListRegions",
                            "iam:CreateServiceLinkedRole",
                            "iam:DeleteServiceLinkedRole",
                            "iam:ListRoles",
                            "organizations:DescribeOrganization",
                        ],
                        &["*"],
                    ),
                ]),
            ],
        }
    }
}

/// ReadOnlyAccess, abridged: the real policy lists ~1,000 `service:Get*` /
/// `List*` / `Describe*` patterns across every service; this keeps the ones for
/// the catalog's services, including the data-reading grants (`s3:Get*`,
/// `ssm:Get*`, `dynamodb:GetItem`) that make it risky.
fn read_only_access() -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(
        &[
            "application-autoscaling:Describe*",
            "athena:Get*",
            "athena:List*",
            "autoscaling:Describe*",
            "cloudformation:Describe*",
            "cloudformation:Get*",
            "cloudformation:List*",
            "cloudtrail:Describe*",
            "cloudtrail:Get*",
            "cloudtrail:LookupEvents",
            "cloudwatch:Describe*",
            "cloudwatch:Get*",
            "cloudwatch:List*",
            "codebuild:BatchGet*",
            "codebuild:List*",
            "config:Describe*",
            "config:Get*",
            "dynamodb:BatchGetItem",
            "dynamodb:Describe*",
            "dynamodb:GetItem",
            "dynamodb:List*",
            "dynamodb:Query",
            "dynamodb:Scan",
            "ec2:Describe*",
            "ec2:Get*",
            "ecr:BatchGetImage",
            "ecr:Describe*",
            "ecr:GetDownloadUrlForLayer",
            "ecr:List*",
            "ecs:Describe*",
            "ecs:List*",
            "elasticache:Describe*",
            "elasticloadbalancing:Describe*",
            "events:Describe*",
            "events:List*",
            "firehose:Describe*",
            "firehose:List*",
            "glue:Get*",
            "glue:List*",
            "guardduty:Get*",
            "guardduty:List*",
            "iam:Generate*",
            "iam:Get*",
            "iam:List*",
            "kinesis:Describe*",
            "kinesis:Get*",
            "kinesis:List*",
            "kms:Describe*",
            "kms:Get*",
            "kms:List*",
            "lambda:Get*",
            "lambda:List*",
            "logs:Describe*",
            "logs:FilterLogEvents",
            "logs:Get*",
            "organizations:Describe*",
            "organizations:List*",
            "rds:Describe*",
            "rds:List*",
            "route53:Get*",
            "route53:List*",
            "s3:Describe*",
            "s3:Get*",
            "s3:List*",
            "sagemaker:Describe*",
            "sagemaker:List*",
            "secretsmanager:Describe*",
            "secretsmanager:List*",
            "securityhub:Describe*",
            "securityhub:Get*",
            "securityhub:List*",
            "sns:Get*",
            "sns:List*",
            "sqs:Get*",
            "sqs:List*",
            "ssm:Describe*",
            "ssm:Get*",
            "ssm:List*",
            "states:Describe*",
            "states:List*",
            "tag:Get*",
            "xray:BatchGet*",
            "xray:Get*",
        ],
        &["*"],
    )])
}

/// AmazonDynamoDBReadOnlyAccess, abridged: the real one also lists read
/// actions for Data Pipeline, CloudWatch, SNS, Lambda and Resource Groups.
fn dynamodb_read_only() -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(
        &[
            "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:DescribeScalingActivities",
            "application-autoscaling:DescribeScalingPolicies",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:GetMetricData",
            "dynamodb:BatchGetItem",
            "dynamodb:Describe*",
            "dynamodb:GetItem",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:List*",
            "dynamodb:PartiQLSelect",
            "dynamodb:Query",
            "dynamodb:Scan",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcs",
            "iam:GetRole",
            "iam:ListRoles",
            "kms:DescribeKey",
            "kms:ListAliases",
            "lambda:ListFunctions",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTopics",
            "tag:GetResources",
        ],
        &["*"],
    )])
}
