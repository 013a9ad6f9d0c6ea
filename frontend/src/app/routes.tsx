import { Navigate, type RouteObject } from "react-router";
import { LoginRoute, RegisterRoute, SsoCallbackRoute } from "@/features/auth";
import { DashboardRoute } from "@/features/dashboard/routes/DashboardRoute";
import { DatasetsRoute } from "@/features/datasets/routes/DatasetsRoute";
import { ModelsRoute } from "@/features/models/routes/ModelsRoute";
import { SettingsRoute } from "@/features/settings/routes/SettingsRoute";
import { TeamRoute } from "@/features/team/routes/TeamRoute";
import { TrainingRoute } from "@/features/training/routes/TrainingRoute";
import { AppShell } from "./AppShell";
import { PublicOnly, RequireAuth } from "./guards";
import { NotFound } from "./NotFound";
import { RootLayout } from "./RootLayout";
import { RouteError } from "./RouteError";

export const routes: RouteObject[] = [
  {
    element: <RootLayout />,
    errorElement: <RouteError />,
    children: [
      {
        element: <PublicOnly />,
        children: [
          { path: "/login", element: <LoginRoute /> },
          { path: "/register", element: <RegisterRoute /> },
        ],
      },
      // Single sign-on's landing page: neither guard, it starts the session itself and then moves on.
      { path: "/sso/callback", element: <SsoCallbackRoute /> },
      {
        element: <RequireAuth />,
        children: [
          {
            element: <AppShell />,
            children: [
              { path: "/", element: <Navigate to="/dashboard" replace /> },
              { path: "/dashboard", element: <DashboardRoute /> },
              { path: "/datasets", element: <DatasetsRoute /> },
              {
                path: "/datasets/:datasetId",
                lazy: async () => ({ Component: (await import("@/features/datasets/routes/DatasetDetailRoute")).DatasetDetailRoute }),
              },
              { path: "/models", element: <ModelsRoute /> },
              {
                path: "/models/versions/:versionId",
                lazy: async () => ({ Component: (await import("@/features/models/routes/ModelVersionRoute")).ModelVersionRoute }),
              },
              { path: "/models/compare", lazy: async () => ({ Component: (await import("@/features/models/routes/CompareRoute")).CompareRoute }) },
              { path: "/playground", lazy: async () => ({ Component: (await import("@/features/playground/routes/PlaygroundRoute")).PlaygroundRoute }) },
              {
                path: "/playground/batch",
                lazy: async () => ({ Component: (await import("@/features/playground/routes/BatchCompareRoute")).BatchCompareRoute }),
              },
              {
                path: "/playground/batch/:batchId",
                lazy: async () => ({ Component: (await import("@/features/playground/routes/BatchDetailRoute")).BatchDetailRoute }),
              },
              { path: "/training", element: <TrainingRoute /> },
              // The wizard and the job page are the biggest screens: loaded when first opened, so the first page is small.
              { path: "/training/new", lazy: async () => ({ Component: (await import("@/features/training/routes/NewJobRoute")).NewJobRoute }) },
              { path: "/training/:jobId", lazy: async () => ({ Component: (await import("@/features/training/routes/JobRoute")).JobRoute }) },
              { path: "/team", element: <TeamRoute /> },
              { path: "/team/audit", lazy: async () => ({ Component: (await import("@/features/audit/routes/AuditRoute")).AuditRoute }) },
              {
                path: "/invitations/:token",
                lazy: async () => ({ Component: (await import("@/features/team/routes/InvitationRoute")).InvitationRoute }),
              },
              { path: "/settings", element: <SettingsRoute /> },
              { path: "*", element: <NotFound /> },
            ],
          },
        ],
      },
    ],
  },
];
