import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createBrowserRouter } from "react-router";
import { App } from "./app/App";
import { createQueryClient } from "./app/query-client";
import { routes } from "./app/routes";
import { initSession } from "./lib/auth/refresh";
import "./index.css";

// Starts the silent refresh now; protected routes show a loader until it settles.
void initSession();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App router={createBrowserRouter(routes)} queryClient={createQueryClient()} />
  </StrictMode>,
);
