#!/usr/bin/env node
// The npm registry this project installs from does not carry every platform build of native
// packages (e.g. @tailwindcss/oxide-darwin-arm64), so `npm install` leaves them out of
// package-lock.json — and then `npm ci` refuses the lock as "not in sync". This adds a lock entry,
// with its os/cpu read from the package name, for each missing platform-specific optional
// dependency; npm skips those on other platforms without downloading anything.
// Run after changing dependencies: node scripts/complete-lock.mjs
import { readFileSync, writeFileSync } from "node:fs";

const OS = ["android", "darwin", "freebsd", "linux", "win32", "openbsd", "sunos", "aix"];
const CPU = ["arm64", "x64", "arm", "ia32", "wasm32", "riscv64", "ppc64", "s390x", "loong64"];
const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const added = [];

for (const [key, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (lock.packages[target] || !/^\d+\.\d+\.\d+/.test(version)) continue;
    const parts = name.split("/").pop().split("-");
    const os = parts.filter((part) => OS.includes(part));
    const cpu = parts.filter((part) => CPU.includes(part));
    if (cpu.length === 0) continue; // not a platform build: leave it for npm to resolve
    const entry = { version, cpu, dev: pkg.dev, license: pkg.license, optional: true };
    if (os.length) entry.os = os;
    if (parts.includes("gnu") || parts.includes("gnueabihf")) entry.libc = ["glibc"];
    if (parts.includes("musl")) entry.libc = ["musl"];
    if (pkg.engines) entry.engines = pkg.engines;
    lock.packages[target] = entry;
    added.push(`${name}@${version} (needed by ${key})`);
  }
}

const [root, ...rest] = Object.keys(lock.packages);
lock.packages = Object.fromEntries([root, ...rest.sort()].map((key) => [key, lock.packages[key]]));
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
console.log(added.length ? `complete-lock: added\n  ${added.join("\n  ")}` : "complete-lock: nothing missing");
