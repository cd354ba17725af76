// STAND-IN for OpenCode 2's cloudflare-ai-gateway plugin, for tests only: it drives the real
// npm packages OpenCode 2 pins (ai-gateway-provider 3.1.2, @ai-sdk/openai-compatible 2.0.41;
// anomalyco/opencode packages/core/package.json @c7fe65df) exactly the way the plugin does
// (packages/core/src/plugin/provider/cloudflare-ai-gateway.ts @1b089110):
//   account  = CLOUDFLARE_ACCOUNT_ID ?? options.accountId
//   gateway  = CLOUDFLARE_GATEWAY_ID ?? options.gatewayId ?? options.gateway
//   apiKey   = CLOUDFLARE_API_TOKEN ?? CF_AIG_TOKEN ?? options.apiKey
//   options.baseURL set -> the plugin is off
//   createAiGateway({accountId, gateway, apiKey, options: {metadata, cacheTtl, cacheKey,
//     skipCache, collectLog, headers: {User-Agent}}}) + createUnified({apiKey});
//   languageModel(id) = gateway(unified(id)), streamed.
// `options` are provider["cloudflare-ai-gateway"].options of the OpenCode config named by
// argv[2] (V2 normalises them to providers.X.settings); the model is the config's `model`
// split at the first "/" (V2's normalisation). The library's hard-coded
// https://gateway.ai.cloudflare.com/v1 is redirected to $STAND_IN_GATEWAY_URL by overriding
// globalThis.fetch, the one thing changed. Prints one JSON line: {model, text, finish}.
import fs from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";

const require = createRequire(process.env.STAND_IN_NODE_MODULES + "/");
const { createAiGateway } = require("ai-gateway-provider");
const { createUnified } = require("ai-gateway-provider/providers/unified");

const configPath = process.argv[2];
// JSONC: aigate keeps comments; strip whole-line // comments and trailing commas.
const text = fs.readFileSync(configPath, "utf8")
  .split("\n").filter((l) => !l.trim().startsWith("//")).join("\n")
  .replace(/,\s*([}\]])/g, "$1");
const config = JSON.parse(text);
const [providerID, ...rest] = String(config.model).split("/");
const modelID = rest.join("/");
if (providerID !== "cloudflare-ai-gateway") throw new Error(`model ${config.model} is not the gateway provider`);
const options = (config.provider?.[providerID]?.options) ?? {};
if (options.baseURL) throw new Error("options.baseURL switches the V2 plugin off");

const str = (k) => (typeof options[k] === "string" ? options[k] : undefined);
const accountId = process.env.CLOUDFLARE_ACCOUNT_ID ?? str("accountId");
const gatewayId = process.env.CLOUDFLARE_GATEWAY_ID ?? str("gatewayId") ?? str("gateway");
const apiKey = process.env.CLOUDFLARE_API_TOKEN ?? process.env.CF_AIG_TOKEN ?? str("apiKey");
if (!accountId || !gatewayId || !apiKey) throw new Error("the plugin would stay off: account, gateway or token missing");

const target = process.env.STAND_IN_GATEWAY_URL.replace(/\/$/, "");
const realFetch = globalThis.fetch;
globalThis.fetch = (url, init) =>
  realFetch(String(url).replace("https://gateway.ai.cloudflare.com/v1", target), init);

const gateway = createAiGateway({
  accountId,
  gateway: gatewayId,
  apiKey,
  options: {
    metadata: options.metadata,
    cacheTtl: options.cacheTtl,
    cacheKey: options.cacheKey,
    skipCache: options.skipCache,
    collectLog: options.collectLog,
    headers: { "User-Agent": `opencode/2.0.9-stand-in cloudflare-ai-gateway (${os.platform()} ${os.release()}; ${os.arch()})` },
  },
});
const unified = createUnified({ apiKey });
const model = gateway(unified(modelID));

const { stream } = await model.doStream({
  prompt: [{ role: "user", content: [{ type: "text", text: "say hi" }] }],
  maxOutputTokens: 64,
});
let out = "";
let finish = null;
const reader = stream.getReader();
for (;;) {
  const { done, value } = await reader.read();
  if (done) break;
  if (value.type === "text-delta") out += value.delta ?? value.textDelta ?? "";
  if (value.type === "finish") finish = value.finishReason?.unified ?? value.finishReason;
  if (value.type === "error") throw new Error("stream error: " + JSON.stringify(value.error));
}
console.log(JSON.stringify({ model: modelID, text: out, finish }));
