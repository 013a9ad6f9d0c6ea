import type { UploadResult, VersionRead } from "@/lib/api/types";

/** What every "make a new version from this one" form takes (VersionActions). */
export type VersionFormProps = {
  teamId: string;
  version: VersionRead;
  onNewVersion: (result: UploadResult) => void;
};
