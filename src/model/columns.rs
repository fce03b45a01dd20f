//! Column definitions and the array builders every table shares.
//!
//! A table is a list of [`Column`]s; [`ColType`] is deliberately small: it only
//! has the types the warehouse conventions allow (no unsigned integers, no
//! nanosecond or zone-less timestamps), so a schema that breaks them cannot be
//! written down in the first place.

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, ListArray, MapArray,
    StringBuilder, StructArray, TimestampMicrosecondArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Fields, TimeUnit};
use std::sync::Arc;

/// A [`ColType::Date`] value: whole days since 1970-01-01.
pub fn days_since_epoch(date: chrono::NaiveDate) -> i32 {
    (date - epoch()).num_days() as i32
}

/// The date a [`ColType::Date`] value stands for (dates before the epoch,
/// which iamlake never writes, read as the epoch).
pub fn date_of(days: i32) -> chrono::NaiveDate {
    epoch() + chrono::Days::new(days.max(0) as u64)
}

fn epoch() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")
}

/// The time zone every timestamp column carries. arrow-rs writes the legacy
/// TIMESTAMP_MICROS annotation (which Snowflake's scanner relies on) only for
/// microsecond timestamps adjusted to UTC.
pub const UTC: &str = "UTC";

/// The logical type of a column, mapped to Arrow, Athena and Snowflake types.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColType {
    /// UTF-8 text.
    Utf8,
    /// Signed 32-bit integer.
    Int32,
    /// Signed 64-bit integer.
    Int64,
    /// 64-bit floating point.
    Float64,
    /// true / false.
    Boolean,
    /// Calendar date (days since the epoch).
    Date,
    /// Instant in UTC with microsecond precision.
    Timestamp,
    /// A list of values of the inner type.
    List(&'static ColType),
    /// A map from text to text (used for tags).
    Utf8Map,
    /// A record of named columns (used inside lists).
    Struct(&'static [Column]),
}

impl ColType {
    /// The Arrow type files are written with.
    pub fn arrow(&self) -> DataType {
        match self {
            ColType::Utf8 => DataType::Utf8,
            ColType::Int32 => DataType::Int32,
            ColType::Int64 => DataType::Int64,
            ColType::Float64 => DataType::Float64,
            ColType::Boolean => DataType::Boolean,
            ColType::Date => DataType::Date32,
            ColType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            ColType::List(inner) => DataType::List(Arc::new(list_item_field(inner.arrow()))),
            ColType::Utf8Map => DataType::Map(Arc::new(map_entries_field()), false),
            ColType::Struct(cols) => DataType::Struct(struct_fields(cols)),
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    /// lower_snake_case name.
    pub name: &'static str,
    /// Its type.
    pub ty: ColType,
    /// Whether the column may hold nulls.
    pub nullable: bool,
    /// What the column means; copied into generated docs and DDL comments.
    pub doc: &'static str,
    /// Whether Parquet files dictionary-encode it (see [`Column::without_dictionary`]).
    pub dictionary: bool,
    /// Whether Parquet files keep its min/max statistics (see
    /// [`Column::without_statistics`]).
    pub statistics: bool,
}

impl Column {
    /// A column that is never null.
    pub const fn required(name: &'static str, ty: ColType, doc: &'static str) -> Column {
        Column {
            name,
            ty,
            nullable: false,
            doc,
            dictionary: true,
            statistics: true,
        }
    }

    /// A column that may be null.
    pub const fn optional(name: &'static str, ty: ColType, doc: &'static str) -> Column {
        Column {
            name,
            ty,
            nullable: true,
            doc,
            dictionary: true,
            statistics: true,
        }
    }

    /// The column written without a Parquet dictionary: for long texts that
    /// overflow the writer's dictionary (1 MB a column chunk) on a large
    /// account anyway, where the writer would hash and compare every value
    /// for nothing. Policy documents on a 20,000-role account: the dictionary
    /// fell back to plain, and interning them was 10% of the snapshot's CPU.
    pub const fn without_dictionary(self) -> Column {
        Column {
            dictionary: false,
            ..self
        }
    }

    /// The column written without min/max statistics: for identifiers and
    /// documents, unique per principal and in no order, where a row group's
    /// minimum and maximum span nearly the whole range and let no reader
    /// skip anything. Computing them compared every value twice: about 2%
    /// of a 20,000-role snapshot's CPU (#13). Queries on these columns read
    /// the same rows either way.
    pub const fn without_statistics(self) -> Column {
        Column {
            statistics: false,
            ..self
        }
    }

    /// The Arrow field for this column.
    pub fn field(&self) -> Field {
        Field::new(self.name, self.ty.arrow(), self.nullable)
    }
}

/// Arrow's conventional list item field. The Parquet writer renames it to the
/// standard `element` when `coerce_types` is on, which Athena needs.
fn list_item_field(data_type: DataType) -> Field {
    Field::new_list_field(data_type, true)
}

/// Map entries named as the Parquet spec names them, so no renaming happens
/// between Arrow and the file.
fn map_entries_field() -> Field {
    Field::new(
        "key_value",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("value", DataType::Utf8, true),
        ])),
        false,
    )
}

fn struct_fields(cols: &[Column]) -> Fields {
    cols.iter().map(Column::field).collect()
}

/// A text column.
pub fn utf8<'a, I>(values: I) -> ArrayRef
where
    I: IntoIterator<Item = Option<&'a str>>,
    I::IntoIter: Clone,
{
    let values = values.into_iter();
    let (rows, bytes) = values
        .clone()
        .fold((0, 0), |(n, b), v| (n + 1, b + v.map_or(0, str::len)));
    let mut out = StringBuilder::with_capacity(rows, bytes);
    out.extend(values);
    Arc::new(out.finish())
}

/// A text column with no nulls.
pub fn utf8_req<'a, I>(values: I) -> ArrayRef
where
    I: IntoIterator<Item = &'a str>,
    I::IntoIter: Clone,
{
    // No null is appended, so the array has no validity buffer either.
    utf8(values.into_iter().map(Some))
}

/// A 32-bit integer column.
pub fn int32(values: impl IntoIterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(Int32Array::from_iter(values))
}

/// A 64-bit integer column.
pub fn int64(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from_iter(values))
}

/// A 64-bit float column.
pub fn float64(values: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from_iter(values))
}

/// A boolean column.
pub fn boolean(values: impl IntoIterator<Item = Option<bool>>) -> ArrayRef {
    Arc::new(BooleanArray::from_iter(values))
}

/// A date column from days since 1970-01-01.
pub fn date(values: impl IntoIterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(Date32Array::from_iter(values))
}

/// A UTC timestamp column from microseconds since the epoch.
pub fn timestamp(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from_iter(values).with_timezone(UTC))
}

/// A list-of-text column; each row's list may be empty but never null.
pub fn utf8_list<'a, I>(rows: impl IntoIterator<Item = I>) -> ArrayRef
where
    I: IntoIterator<Item = &'a str>,
{
    let mut lengths = Vec::new();
    let mut flat: Vec<&str> = Vec::new();
    for row in rows {
        let before = flat.len();
        flat.extend(row);
        lengths.push(flat.len() - before);
    }
    let values = utf8_req(flat);
    list_array(list_item_field(DataType::Utf8), lengths, values)
}

/// A list-of-text column of the field `f` picks from each row.
pub fn utf8_list_of<R>(rows: &[R], f: fn(&R) -> &Vec<String>) -> ArrayRef {
    utf8_list(rows.iter().map(|r| f(r).iter().map(String::as_str)))
}

/// A text-to-text map column; each row's map may be empty but never null.
pub fn utf8_map<'a, I>(rows: impl IntoIterator<Item = I>) -> ArrayRef
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut lengths = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    let mut values: Vec<&str> = Vec::new();
    for row in rows {
        let before = keys.len();
        for (k, v) in row {
            keys.push(k);
            values.push(v);
        }
        lengths.push(keys.len() - before);
    }
    let entries_field = map_entries_field();
    let DataType::Struct(fields) = entries_field.data_type().clone() else {
        unreachable!("map entries are a struct by construction")
    };
    let entries = StructArray::new(fields, vec![utf8_req(keys), utf8_req(values)], None);
    Arc::new(MapArray::new(
        Arc::new(entries_field),
        OffsetBuffer::from_lengths(lengths),
        entries,
        None,
        false,
    ))
}

/// A list-of-struct column built from the flattened struct columns (one entry
/// per list item, in row order) and each row's item count.
pub fn struct_list(
    item_cols: &'static [Column],
    flat: Vec<ArrayRef>,
    lengths: Vec<usize>,
) -> ArrayRef {
    let item = StructArray::new(struct_fields(item_cols), flat, None);
    list_array(
        list_item_field(ColType::Struct(item_cols).arrow()),
        lengths,
        Arc::new(item),
    )
}

fn list_array(item: Field, lengths: Vec<usize>, values: ArrayRef) -> ArrayRef {
    Arc::new(ListArray::new(
        Arc::new(item),
        OffsetBuffer::from_lengths(lengths),
        values,
        None,
    ))
}
