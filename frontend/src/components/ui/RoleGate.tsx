import type { ReactNode } from "react";
import type { Role } from "@/lib/api/types";
import { useTeamRole } from "@/lib/auth/team-role";
import { cn } from "./cn";

/**
 * What a role below `needs` cannot do stays in view but disabled, with the reason on hover (`title`) and
 * for screen readers (the group's legend), so a viewer sees where the button is and whom to ask. A
 * disabled fieldset disables every control inside it; the API refuses the call anyway.
 */
export function RoleGate({
  needs,
  action,
  children,
  className,
}: {
  needs: Role;
  /** What the controls do, as in "Viewers can't <action>": "upload data", "launch jobs"… */
  action: string;
  children: ReactNode;
  className?: string;
}) {
  const { reason } = useTeamRole();
  const why = reason(needs, action);
  if (!why) return <>{children}</>;
  return (
    <fieldset
      disabled
      aria-disabled="true"
      title={why}
      className={cn("min-w-0 cursor-not-allowed opacity-60 [&_*]:cursor-not-allowed", className)}
    >
      {/* The group's name: screen readers say it on entering the disabled controls. */}
      <legend className="sr-only">{why}</legend>
      {children}
    </fieldset>
  );
}

/** A link (e.g. "New job") shown as a disabled button for a role below `needs`, with the reason on hover. */
export function RoleLink({
  needs,
  action,
  children,
  className,
  link,
}: {
  needs: Role;
  action: string;
  children: ReactNode;
  className?: string;
  /** The link itself, rendered when the role may follow it. */
  link: ReactNode;
}) {
  const { reason } = useTeamRole();
  const why = reason(needs, action);
  if (!why) return <>{link}</>;
  return (
    <span role="link" aria-disabled="true" title={why} aria-label={`${textOf(children)} (${why})`}
          className={cn(className, "cursor-not-allowed opacity-60")}>
      {children}
    </span>
  );
}

function textOf(node: ReactNode): string {
  return typeof node === "string" ? node : Array.isArray(node) ? node.map(textOf).join("") : "";
}
