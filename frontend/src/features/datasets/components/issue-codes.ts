import type { IssueRead } from "@/lib/api/types";

type Severity = IssueRead["severity"];

/** What each issue code is called in the grouped issue list, and how serious it is (docs/api/datasets.md). */
const CODES: Record<string, [Severity, string]> = {
  invalid_json: ["error", "Lines that are not valid JSON"],
  invalid_csv: ["error", "Unreadable CSV"],
  csv_field_count: ["error", "CSV rows with the wrong number of fields"],
  missing_field: ["error", "Rows missing a field"],
  wrong_type: ["error", "Fields of the wrong type"],
  not_an_object: ["error", "Rows that are not objects"],
  empty_turn: ["error", "Empty turns"],
  empty_field: ["error", "Empty fields"],
  empty_conversation: ["error", "Empty conversations"],
  role_order: ["error", "Roles out of order"],
  unknown_role: ["error", "Unknown roles"],
  no_assistant_turn: ["error", "Conversations without an assistant turn"],
  invalid_label: ["error", "Labels that are not true/false"],
  no_shared_prompt: ["error", "Pairs without a shared prompt"],
  unrecognised_format: ["error", "Format not recognised"],
  unreadable_row: ["error", "Unreadable rows"],
  row_too_long: ["error", "Rows over the size limit"],
  encoding_refused: ["error", "Files in an unusable encoding"],
  unsupported_file: ["error", "Files TuneForge cannot read"],
  invalid_parquet: ["error", "Unreadable Parquet"],
  invalid_zip: ["error", "Unreadable zips"],
  zip_too_large: ["error", "Zips too large"],
  zip_too_many_files: ["error", "Zips with too many files"],
  zip_encrypted: ["error", "Encrypted zips"],
  mixed_sources: ["error", "Documents mixed with row files"],
  json_shape: ["error", "JSON of an unexpected shape"],
  empty_file: ["error", "Empty files"],
  no_rows: ["error", "No rows"],
  duplicate: ["warning", "Duplicate rows"],
  too_long: ["warning", "Rows over the length limit"],
  ends_with_user: ["warning", "Conversations ending with a user turn"],
  chosen_equals_rejected: ["warning", "Chosen equal to rejected"],
  transcoded: ["warning", "Files converted to UTF-8"],
  ambiguous_format: ["warning", "Format ambiguous"],
  json_several_lists: ["warning", "JSON with several lists"],
  zip_unsafe_name: ["warning", "Zip entries skipped"],
  template_refused: ["warning", "Rows the chat template refuses"],
  empty_document: ["warning", "Empty documents"],
  no_conversation: ["warning", "Documents without a conversation"],
  split_overlap: ["warning", "Rows in more than one split"],
  placeholders: ["warning", "Placeholders left in the text"],
  placeholder: ["warning", "Rows with placeholders"],
  zip_skipped_files: ["info", "Files skipped in zips"],
  csv_separator: ["info", "CSV separator"],
  transcript_preamble: ["info", "Text before the first turn"],
};

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export type IssueGroup = { code: string; severity: Severity; label: string; count: number };

export function issueGroup(code: string, count: number): IssueGroup {
  const [severity, label] = CODES[code] ?? ["warning", code.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase())];
  return { code, severity, label, count };
}

/** The issue codes of a version's summary as groups: errors first, then warnings, notes; larger groups first. */
export function issueGroups(byCode: Record<string, number> | undefined): IssueGroup[] {
  return Object.entries(byCode ?? {})
    .filter(([, count]) => count > 0)
    .map(([code, count]) => issueGroup(code, count))
    .sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.count - a.count || a.code.localeCompare(b.code));
}
