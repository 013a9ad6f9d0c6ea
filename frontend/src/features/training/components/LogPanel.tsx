import { useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/Button";
import { cn } from "@/components/ui/cn";
import type { LogLine } from "../lib/job-stream";

const ROW_HEIGHT = 20;
const VIEW_HEIGHT = 288;
const OVERSCAN = 10;

/**
 * The job's log, windowed: only the lines in view are in the DOM, so thousands of lines stay
 * fast. Follows the end while "Auto-scroll" is on; scrolling up pauses it. A line too long for
 * the panel is cut with "…": clicking it shows the whole line, wrapped, under the log.
 */
export function LogPanel({ lines }: { lines: LogLine[] }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [follow, setFollow] = useState(true);
  const [selected, setSelected] = useState<number | null>(null);
  const open = selected === null ? undefined : lines.find((l) => l.seq === selected);

  useEffect(() => {
    const el = scroller.current;
    if (follow && el) {
      el.scrollTop = el.scrollHeight;
      setScrollTop(el.scrollTop);
    }
  }, [lines.length, follow]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(lines.length, Math.ceil((scrollTop + VIEW_HEIGHT) / ROW_HEIGHT) + OVERSCAN);
  const visible = lines.slice(first, last);

  return (
    <div>
      <div className="mb-2 flex items-center justify-between gap-2">
        <p className="text-xs text-slate-500">{lines.length.toLocaleString()} lines</p>
        <Button variant="secondary" className="py-1 text-xs" aria-pressed={follow} onClick={() => setFollow((f) => !f)}>
          {follow ? "Pause auto-scroll" : "Resume auto-scroll"}
        </Button>
      </div>
      <div
        ref={scroller}
        role="log"
        aria-label="Job log"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          setScrollTop(el.scrollTop);
          const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < ROW_HEIGHT;
          if (!atEnd && follow) setFollow(false);
        }}
        className="overflow-auto rounded-md bg-slate-950 font-mono text-xs text-slate-100"
        style={{ height: VIEW_HEIGHT }}
      >
        {lines.length === 0 ? (
          <p className="p-3 text-slate-400">No log lines yet.</p>
        ) : (
          <div style={{ height: lines.length * ROW_HEIGHT, position: "relative" }}>
            <ol style={{ position: "absolute", top: first * ROW_HEIGHT, left: 0, right: 0 }}>
              {visible.map((line) => (
                <li key={line.seq} style={{ height: ROW_HEIGHT, lineHeight: `${ROW_HEIGHT}px` }}>
                  <button
                    type="button"
                    onClick={() => setSelected(line.seq === selected ? null : line.seq)}
                    aria-pressed={line.seq === selected}
                    className={cn(
                      "block w-full truncate whitespace-pre px-3 text-left hover:bg-slate-800",
                      line.seq === selected && "bg-slate-800",
                      line.level === "error" ? "text-red-300" : line.level === "warning" ? "text-amber-300" : undefined,
                    )}
                    title={line.text}
                  >
                    <span className="text-slate-400">{line.at ? new Date(line.at).toLocaleTimeString() : ""} </span>
                    {line.text}
                  </button>
                </li>
              ))}
            </ol>
          </div>
        )}
      </div>
      {open ? (
        <div role="region" aria-label="Whole log line" className="mt-2 rounded-md border border-slate-200 bg-slate-50 p-2">
          <div className="mb-1 flex items-center justify-between gap-2 text-xs text-slate-500">
            <span>{open.at ? new Date(open.at).toLocaleString() : "Log line"}</span>
            <Button variant="secondary" className="py-0.5 text-xs" onClick={() => setSelected(null)}>
              Close
            </Button>
          </div>
          <pre className="max-h-64 overflow-auto whitespace-pre-wrap break-all font-mono text-xs text-slate-800">{open.text}</pre>
        </div>
      ) : (
        lines.length > 0 && <p className="mt-1 text-xs text-slate-500">Click a line to read it whole.</p>
      )}
    </div>
  );
}
