import { Outlet } from "react-router";
import { SessionSync } from "./SessionSync";

export function RootLayout() {
  return (
    <>
      <SessionSync />
      <Outlet />
    </>
  );
}
