//! The `last_accessed` table: Access Advisor's last-accessed data, one row per
//! (role, service) and, where AWS tracks actions, one per (role, service, action).

use super::TableDef;
use super::columns::{self, ColType, Column};
use super::principal::{PrincipalIds, PrincipalType};
use arrow::array::{
    ArrayBuilder, ArrayRef, Int32Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use std::fmt::Write;
use std::sync::Arc;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "last_accessed",
    doc: "Access Advisor data: one row per (role, service) with granularity = service, plus one per tracked action with granularity = action.",
    columns: COLUMNS,
};

const COLUMNS: &[Column] = &[
    Column::required(
        "account_id",
        ColType::Utf8,
        "12-digit AWS account id that owns the role.",
    ),
    super::principal::ROLE_ID,
    super::principal::ROLE_NAME,
    super::principal::ROLE_ARN,
    Column::required(
        "service_namespace",
        ColType::Utf8,
        "Service prefix, e.g. s3.",
    ),
    Column::optional(
        "service_name",
        ColType::Utf8,
        "Service display name, e.g. Amazon S3.",
    ),
    Column::optional(
        "action",
        ColType::Utf8,
        "Full action name (s3:GetObject) for action rows; null for service rows.",
    ),
    Column::required("granularity", ColType::Utf8, "service | action."),
    Column::optional(
        "last_authenticated",
        ColType::Timestamp,
        "Last time the role used the service or action (UTC); null if never within the tracking period.",
    ),
    Column::optional(
        "last_authenticated_region",
        ColType::Utf8,
        "Region of that last use.",
    ),
    Column::optional(
        "last_authenticated_entity",
        ColType::Utf8,
        "ARN of the entity that last used it.",
    ),
    Column::optional(
        "total_authenticated_entities",
        ColType::Int32,
        "Number of entities that used the service (service rows only).",
    ),
    Column::required(
        "job_type",
        ColType::Utf8,
        "SERVICE_LEVEL or ACTION_LEVEL: the Access Advisor job the row came from.",
    ),
    super::principal::COLUMN,
];

/// One Access Advisor entry, borrowed from the job's answer it comes from;
/// its principal is added by [`Builder::end_owner`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastAccessedRow<'a> {
    pub service_namespace: &'a str,
    pub service_name: Option<&'a str>,
    /// The action's name without its service (`GetObject`) for action
    /// rows; the column holds the full name (`s3:GetObject`).
    pub action_name: Option<&'a str>,
    /// Microseconds since the epoch, UTC.
    pub last_authenticated: Option<i64>,
    pub last_authenticated_region: Option<&'a str>,
    pub last_authenticated_entity: Option<&'a str>,
    pub total_authenticated_entities: Option<i32>,
}

/// Builds the table's columns as rows arrive, for principals of one kind.
///
/// Rows go straight into Arrow buffers rather than into row structs first:
/// this is the largest table of a snapshot (about 13 rows per role), and
/// owning each row's strings, then copying them into columns, then freeing
/// them was a tenth of a 20,000-role snapshot's time on the thread that
/// writes the lake (#13).
pub struct Builder {
    principal: PrincipalType,
    account_id: StringBuilder,
    role_id: StringBuilder,
    role_name: StringBuilder,
    role_arn: StringBuilder,
    service_namespace: StringBuilder,
    service_name: StringBuilder,
    action: StringBuilder,
    granularity: StringBuilder,
    last_authenticated: TimestampMicrosecondBuilder,
    last_authenticated_region: StringBuilder,
    last_authenticated_entity: StringBuilder,
    total_authenticated_entities: Int32Builder,
    job_type: StringBuilder,
}

impl Builder {
    /// An empty table of `principal`'s rows.
    pub fn new(principal: PrincipalType) -> Builder {
        Builder {
            principal,
            account_id: StringBuilder::new(),
            role_id: StringBuilder::new(),
            role_name: StringBuilder::new(),
            role_arn: StringBuilder::new(),
            service_namespace: StringBuilder::new(),
            service_name: StringBuilder::new(),
            action: StringBuilder::new(),
            granularity: StringBuilder::new(),
            last_authenticated: TimestampMicrosecondBuilder::new().with_timezone(columns::UTC),
            last_authenticated_region: StringBuilder::new(),
            last_authenticated_entity: StringBuilder::new(),
            total_authenticated_entities: Int32Builder::new(),
            job_type: StringBuilder::new(),
        }
    }

    /// Rows appended since the last [`Builder::finish`], owner or not.
    pub fn len(&self) -> usize {
        self.service_namespace.len()
    }

    /// Whether no row was appended since the last [`Builder::finish`].
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one row; [`Builder::end_owner`] says whose it is.
    pub fn append(&mut self, row: LastAccessedRow<'_>) {
        self.service_namespace.append_value(row.service_namespace);
        self.service_name.append_option(row.service_name);
        match row.action_name {
            Some(name) => {
                // Written in place, piece by piece: no `format!` (nor the
                // formatting machinery) per action row.
                let full = &mut self.action;
                let _ = full.write_str(row.service_namespace);
                let _ = full.write_str(":");
                let _ = full.write_str(name);
                full.append_value("");
                self.granularity.append_value("action");
            }
            None => {
                self.action.append_null();
                self.granularity.append_value("service");
            }
        }
        self.last_authenticated
            .append_option(row.last_authenticated);
        self.last_authenticated_region
            .append_option(row.last_authenticated_region);
        self.last_authenticated_entity
            .append_option(row.last_authenticated_entity);
        self.total_authenticated_entities
            .append_option(row.total_authenticated_entities);
    }

    /// Gives the rows appended since the last call (or since
    /// [`Builder::finish`]) their owner, the principal `who`, and the
    /// `job_type` of its Access Advisor job.
    ///
    /// Why not per row: the owner's ids, name and ARN are most of a row's
    /// bytes, and copying them once per principal, space reserved up front,
    /// replaced growing four columns row by row (#13).
    pub fn end_owner(&mut self, who: &PrincipalIds, job_type: &str) {
        let rows = self.len() - self.account_id.len();
        self.account_id.append_value_n(&*who.account_id, rows);
        self.role_id.append_value_n(&*who.id, rows);
        self.role_name.append_value_n(&*who.name, rows);
        self.role_arn.append_value_n(&*who.arn, rows);
        self.job_type.append_value_n(job_type, rows);
    }

    /// The rows appended so far as one record batch; the builder is empty
    /// again afterwards. Rows without an owner (no [`Builder::end_owner`]
    /// after them) are an error: their columns would not line up.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let rows = self.len();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.account_id.finish()),
            Arc::new(self.role_id.finish()),
            Arc::new(self.role_name.finish()),
            Arc::new(self.role_arn.finish()),
            Arc::new(self.service_namespace.finish()),
            Arc::new(self.service_name.finish()),
            Arc::new(self.action.finish()),
            Arc::new(self.granularity.finish()),
            Arc::new(self.last_authenticated.finish()),
            Arc::new(self.last_authenticated_region.finish()),
            Arc::new(self.last_authenticated_entity.finish()),
            Arc::new(self.total_authenticated_entities.finish()),
            Arc::new(self.job_type.finish()),
            columns::utf8(std::iter::repeat_n(Some(self.principal.as_str()), rows)),
        ];
        RecordBatch::try_new(TABLE.schema(), columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Int32Type, TimestampMicrosecondType};

    fn row(action_name: Option<&str>) -> LastAccessedRow<'_> {
        LastAccessedRow {
            service_namespace: "s3",
            service_name: Some("Amazon S3"),
            action_name,
            last_authenticated: Some(1_700_000_000_000_000),
            last_authenticated_region: Some("eu-west-1"),
            last_authenticated_entity: None,
            total_authenticated_entities: action_name.is_none().then_some(2),
        }
    }

    fn owner(name: &str) -> PrincipalIds {
        PrincipalIds::new(
            &Arc::from("111122223333"),
            ["AROAEXAMPLE", name, "arn:aws:iam::111122223333:role/app"],
        )
    }

    fn text(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
        let col = batch.column_by_name(name).unwrap().as_string::<i32>();
        (0..col.len())
            .map(|i| col.is_valid(i).then(|| col.value(i).to_string()))
            .collect()
    }

    #[test]
    fn rows_become_the_tables_columns_and_finish_starts_a_new_batch() {
        let mut b = Builder::new(PrincipalType::User);
        b.append(row(Some("GetObject")));
        b.append(row(None));
        b.end_owner(&owner("app"), "ACTION_LEVEL");
        assert_eq!(b.len(), 2);
        let batch = b.finish().unwrap();
        assert!(b.is_empty());
        assert_eq!(batch.schema(), TABLE.schema());
        let text = |name: &str| text(&batch, name);
        let some = |s: &str| Some(s.to_string());
        assert_eq!(text("action"), [some("s3:GetObject"), None]);
        assert_eq!(text("granularity"), [some("action"), some("service")]);
        assert_eq!(text("principal_type"), [some("user"), some("user")]);
        assert_eq!(
            text("job_type"),
            [some("ACTION_LEVEL"), some("ACTION_LEVEL")]
        );
        assert_eq!(
            text("role_arn")[1],
            some("arn:aws:iam::111122223333:role/app")
        );
        assert_eq!(text("last_authenticated_entity"), [None, None]);
        let entities = batch
            .column_by_name("total_authenticated_entities")
            .unwrap()
            .as_primitive::<Int32Type>();
        assert!(entities.is_null(0));
        assert_eq!(entities.value(1), 2);
        let when = batch
            .column_by_name("last_authenticated")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>();
        assert_eq!(when.value(0), 1_700_000_000_000_000);

        // The next batch holds only what came after `finish`.
        b.append(row(None));
        b.end_owner(&owner("app"), "ACTION_LEVEL");
        let next = b.finish().unwrap();
        assert_eq!(next.num_rows(), 1);
        assert_eq!(b.finish().unwrap().num_rows(), 0);
    }

    #[test]
    fn each_owner_gets_the_rows_appended_since_the_last_owner() {
        let mut b = Builder::new(PrincipalType::Role);
        b.append(row(None));
        b.append(row(Some("GetObject")));
        b.end_owner(&owner("first"), "ACTION_LEVEL");
        // A principal without rows adds none.
        b.end_owner(&owner("empty"), "ACTION_LEVEL");
        b.append(row(None));
        b.end_owner(&owner("second"), "ACTION_LEVEL");
        let batch = b.finish().unwrap();
        let names = text(&batch, "role_name");
        let some = |s: &str| Some(s.to_string());
        assert_eq!(names, [some("first"), some("first"), some("second")]);
    }

    #[test]
    fn rows_without_an_owner_are_an_error_not_a_misaligned_batch() {
        let mut b = Builder::new(PrincipalType::Role);
        b.append(row(None));
        b.end_owner(&owner("app"), "ACTION_LEVEL");
        b.append(row(None));
        assert!(b.finish().is_err());
    }
}
