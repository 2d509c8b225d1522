//! HDF5 writer. INTERFACE STUB — implemented by the output work item.
use super::*;

pub struct Hdf5Sink;

impl Hdf5Sink {
    pub fn create(_p: &Path) -> io::Result<Hdf5Sink> {
        Err(io::Error::other("not implemented"))
    }
}

impl Sink for Hdf5Sink {
    fn begin_run(&mut self, _: &str, _: &str, _: Option<&StepInfo>) -> io::Result<()> {
        unimplemented!()
    }
    fn begin_point(&mut self, _: usize) -> io::Result<()> {
        unimplemented!()
    }
    fn begin_analysis(&mut self, _: &AnalysisInfo) -> io::Result<()> {
        unimplemented!()
    }
    fn point(&mut self, _: f64, _: &[f64], _: Option<&[f64]>) -> io::Result<()> {
        unimplemented!()
    }
    fn end_analysis(&mut self) -> io::Result<()> {
        unimplemented!()
    }
    fn measures(&mut self, _: &[MeasureValue]) -> io::Result<()> {
        unimplemented!()
    }
    fn end_point(&mut self, _: usize, _: &PointStatus) -> io::Result<()> {
        unimplemented!()
    }
    fn finish(&mut self, _: bool) -> io::Result<()> {
        unimplemented!()
    }
}
