//! In-memory sink: keeps every table (for tests and library users; the CLI
//! writers stream to disk instead).

use super::*;

/// One finished (or interrupted) analysis table.
#[derive(Debug, Clone)]
pub struct MemAnalysis {
    pub info: AnalysisInfo,
    /// Step point index, for `.step` runs.
    pub point: Option<usize>,
    pub sweep: Vec<f64>,
    /// Per signal: real parts.
    pub re: Vec<Vec<f64>>,
    /// Per signal: imaginary parts (complex analyses).
    pub im: Option<Vec<Vec<f64>>>,
    /// Integer labels of the points (harmonic balance tone indices).
    pub labels: Option<PointLabels>,
}

impl MemAnalysis {
    /// Real column of a signal by name (`v(out)`).
    pub fn signal(&self, name: &str) -> Option<&[f64]> {
        let k = self.info.signals.iter().position(|s| s.name == name)?;
        Some(&self.re[k])
    }
    /// Imaginary column of a signal by name (complex analyses).
    pub fn signal_im(&self, name: &str) -> Option<&[f64]> {
        let k = self.info.signals.iter().position(|s| s.name == name)?;
        self.im.as_ref().map(|im| im[k].as_slice())
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    pub title: String,
    pub analyses: Vec<MemAnalysis>,
    pub measures: Vec<MeasureValue>,
    pub steps: Option<StepInfo>,
    pub status: Vec<(usize, PointStatus)>,
    pub complete: Option<bool>,
    point: Option<usize>,
}

impl MemorySink {
    pub fn new() -> MemorySink {
        MemorySink::default()
    }
    /// The first analysis of a kind (of the given step point, if any).
    pub fn analysis(&self, kind: AnalysisKind) -> Option<&MemAnalysis> {
        self.analyses.iter().find(|a| a.info.kind == kind)
    }
    /// A measure's value by name (last one if repeated).
    pub fn measure(&self, name: &str) -> Option<&Result<f64, String>> {
        self.measures
            .iter()
            .rev()
            .find(|m| m.name == name)
            .map(|m| &m.value)
    }
}

impl Sink for MemorySink {
    fn begin_run(
        &mut self,
        title: &str,
        _netlist: &str,
        steps: Option<&StepInfo>,
    ) -> io::Result<()> {
        self.title = title.to_string();
        self.steps = steps.cloned();
        Ok(())
    }
    fn begin_point(&mut self, index: usize) -> io::Result<()> {
        self.point = Some(index);
        Ok(())
    }
    fn begin_analysis(&mut self, info: &AnalysisInfo) -> io::Result<()> {
        let n = info.signals.len();
        self.analyses.push(MemAnalysis {
            info: info.clone(),
            point: self.point,
            sweep: Vec::new(),
            re: vec![Vec::new(); n],
            im: info.complex.then(|| vec![Vec::new(); n]),
            labels: None,
        });
        Ok(())
    }
    fn labels(&mut self, labels: &PointLabels) -> io::Result<()> {
        let a = self
            .analyses
            .last_mut()
            .ok_or_else(|| io::Error::other("labels before begin_analysis"))?;
        a.labels = Some(labels.clone());
        Ok(())
    }
    fn point(&mut self, sweep: f64, values: &[f64], imag: Option<&[f64]>) -> io::Result<()> {
        let a = self
            .analyses
            .last_mut()
            .ok_or_else(|| io::Error::other("point before begin_analysis"))?;
        a.sweep.push(sweep);
        for (c, v) in a.re.iter_mut().zip(values) {
            c.push(*v);
        }
        if let (Some(im), Some(vi)) = (a.im.as_mut(), imag) {
            for (c, v) in im.iter_mut().zip(vi) {
                c.push(*v);
            }
        }
        Ok(())
    }
    fn end_analysis(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn measures(&mut self, values: &[MeasureValue]) -> io::Result<()> {
        self.measures.extend_from_slice(values);
        Ok(())
    }
    fn end_point(&mut self, index: usize, status: &PointStatus) -> io::Result<()> {
        self.status.push((index, status.clone()));
        self.point = None;
        Ok(())
    }
    fn finish(&mut self, complete: bool) -> io::Result<()> {
        self.complete = Some(complete);
        Ok(())
    }
}
