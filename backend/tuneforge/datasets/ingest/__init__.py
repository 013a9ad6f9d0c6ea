"""The pure ingest library: read uploaded files, detect their shape, normalise, validate, count, split.

No web or database code here; `tuneforge.datasets.service` drives it.
"""

from tuneforge.datasets.ingest.detect import FORMATS, KINDS, Detection, Mapping, detect, mapping_from_user
from tuneforge.datasets.ingest.issues import Issue, IssueLog, Problem
from tuneforge.datasets.ingest.markdown_chat import PatternError, compile_participants, parse_transcript
from tuneforge.datasets.ingest.normalize import normalize
from tuneforge.datasets.ingest.pipeline import (
    CANONICAL_MAPPINGS,
    IngestOptions,
    IngestReport,
    dumps,
    ingest,
    ingest_canonical,
)
from tuneforge.datasets.ingest.readers import ReadOptions, Record, Source, read_source
from tuneforge.datasets.ingest.splits import SplitReport, split_canonical

__all__ = [
    "CANONICAL_MAPPINGS", "FORMATS", "KINDS", "Detection", "IngestOptions", "IngestReport", "Issue", "IssueLog",
    "Mapping", "PatternError", "Problem", "ReadOptions", "Record", "Source", "SplitReport", "compile_participants",
    "detect", "dumps", "ingest", "ingest_canonical", "mapping_from_user", "normalize", "parse_transcript",
    "read_source", "split_canonical",
]
