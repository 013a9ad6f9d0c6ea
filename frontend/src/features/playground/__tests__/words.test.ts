import { describe, expect, it } from "vitest";
import { statsInWords } from "../lib/words";

describe("statsInWords", () => {
  it("says how long a cold start loaded, in milliseconds below a second (an adapter on a loaded base)", () => {
    expect(statsInWords({ cold: true, load_ms: 1400 })).toEqual(["cold (model loaded in 1.4 s)"]);
    expect(statsInWords({ cold: true, load_ms: 24.4 })).toEqual(["cold (model loaded in 24 ms)"]);
    expect(statsInWords({ cold: true, load_ms: 0 })).toEqual(["cold (model loaded)"]);
    expect(statsInWords({ cold: false })).toEqual(["warm (model already loaded)"]);
  });
});
