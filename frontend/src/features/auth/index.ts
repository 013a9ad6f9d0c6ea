export { LoginRoute } from "./routes/LoginRoute";
export { RegisterRoute } from "./routes/RegisterRoute";
export { useLogout } from "./api/logout";
export { SsoCallbackRoute } from "./routes/SsoCallbackRoute";
