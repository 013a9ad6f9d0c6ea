"""The audit log: who did what, when, from where, to what, and how it ended. Append-only for the application
(no update or delete path; a database trigger refuses both), pruned only by retention."""
