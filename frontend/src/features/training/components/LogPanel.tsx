import { useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/Button";
import { cn } from "@/components/ui/cn";
import type { LogLine } from "../lib/job-stream";

const ROW_HEIGHT = 20;
const VIEW_HEIGHT = 288;
const OVERSCAN = 10;

/**
 * The job's log, windowed: only the lines in view are in the DOM, so thousands of lines stay
 * fast. Follows the end while "Auto-scroll" is on; scrolling up pauses it.
 */
export function LogPanel({ lines }: { lines: LogLine[] }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [follow, setFollow] = useState(true);

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
                <li
                  key={line.seq}
                  className={cn(
                    "truncate whitespace-pre px-3",
                    line.level === "error" ? "text-red-300" : line.level === "warning" ? "text-amber-300" : undefined,
                  )}
                  style={{ height: ROW_HEIGHT, lineHeight: `${ROW_HEIGHT}px` }}
                  title={line.text}
                >
                  <span className="text-slate-500">{line.at ? new Date(line.at).toLocaleTimeString() : ""} </span>
                  {line.text}
                </li>
              ))}
            </ol>
          </div>
        )}
      </div>
    </div>
  );
}
