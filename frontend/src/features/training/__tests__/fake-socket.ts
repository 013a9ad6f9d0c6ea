// The fake WebSocket is shared with other features' tests: it lives in @/test.
export { event, FakeWebSocket, installFakeWebSocket } from "@/test/fake-socket";
