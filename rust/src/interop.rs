//! Arrow across the Python boundary, by the Arrow PyCapsule interface: columns come in
//! as C streams (`__arrow_c_stream__`, which Polars series and pyarrow arrays export)
//! and the result goes out as one, wrapped in an object Polars reads with
//! `pl.DataFrame(obj)`. Buffers are shared, not copied, both ways.

use std::ffi::CStr;
use std::sync::Arc;

use arrow_array::ffi_stream::{ArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::{ArrayRef, RecordBatch, RecordBatchIterator};
use arrow_data::ArrayData;
use arrow_schema::{ArrowError, Field, Schema};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

const STREAM_CAPSULE: &CStr = c"arrow_array_stream";

/// The chunks of an object that exports an Arrow C stream (`__arrow_c_stream__`).
pub fn import_chunks(column: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<ArrayData>> {
    let export = column.getattr("__arrow_c_stream__").map_err(|_| {
        PyTypeError::new_err(format!(
            "column {name:?}: expected an object with __arrow_c_stream__ (a Polars series)"
        ))
    })?;
    let capsule = export.call0()?.cast_into::<PyCapsule>()?;
    let pointer = capsule
        .pointer_checked(Some(STREAM_CAPSULE))?
        .cast::<FFI_ArrowArrayStream>();
    // SAFETY: `pointer_checked` returned the non-null pointer of a capsule named
    // "arrow_array_stream", which by the PyCapsule interface points to a live
    // `ArrowArrayStream` owned by the capsule. `from_raw` moves the struct out and leaves
    // a released (empty) one behind, so the capsule's destructor releases nothing twice;
    // the capsule outlives this call, as `capsule` holds a reference to it.
    let stream = unsafe { FFI_ArrowArrayStream::from_raw(pointer.as_ptr()) };
    let reader = ArrayStreamReader::try_new(stream).map_err(|error| arrow_error(name, &error))?;
    reader
        .map(|chunk| {
            chunk
                .map(|array| array.to_data())
                .map_err(|error| arrow_error(name, &error))
        })
        .collect()
}

fn arrow_error(name: &str, error: &ArrowError) -> PyErr {
    PyValueError::new_err(format!("column {name:?}: cannot read it as Arrow: {error}"))
}

/// Columns laid out as one record batch, handed to Python as an Arrow C stream.
#[pyclass(module = "distillscan._core", frozen)]
pub struct ArrowColumns {
    batch: RecordBatch,
}

impl ArrowColumns {
    pub fn new(names: &[&str], columns: Vec<ArrayRef>) -> Result<Self, ArrowError> {
        let fields: Vec<Field> = names
            .iter()
            .zip(&columns)
            .map(|(name, column)| {
                Field::new(*name, column.data_type().clone(), column.null_count() > 0)
            })
            .collect();
        Ok(ArrowColumns {
            batch: RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?,
        })
    }
}

#[pymethods]
impl ArrowColumns {
    /// The columns as an Arrow C stream of one record batch; a requested schema is
    /// ignored (the interface allows that), the columns keep their own types.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let batches = RecordBatchIterator::new([Ok(self.batch.clone())], self.batch.schema());
        let stream = FFI_ArrowArrayStream::new(Box::new(batches));
        PyCapsule::new_with_value(py, stream, STREAM_CAPSULE)
    }

    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }
}
