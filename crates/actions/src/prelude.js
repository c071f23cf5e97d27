// Runs before every Action, in its fresh context: builds `console`, `fetch`, `exports`, the
// `event` and the trigger's `api`, and `__run`, which calls the Action's entry point and
// records how it ended. Natives (`__console`, `__fetch`) and `__event_json` come from Rust.
"use strict";
(function () {
  const natives = { console: globalThis.__console, fetch: globalThis.__fetch };
  delete globalThis.__console;
  delete globalThis.__fetch;

  // Lone UTF-16 surrogates cannot cross into Rust as JSON; they become U+FFFD.
  const wellFormed = (text) =>
    String(text).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
  const show = (value) => {
    if (typeof value === "string") return value;
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    try {
      return JSON.stringify(value) ?? String(value);
    } catch (_) {
      return String(value);
    }
  };
  const log = (level) => (...args) => natives.console(wellFormed(`${level} ${args.map(show).join(" ")}`));
  globalThis.console = Object.freeze({
    log: log("log"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    debug: log("debug"),
  });

  globalThis.fetch = async function fetch(input, init) {
    const options = init || {};
    const request = {
      method: String(options.method || "GET").toUpperCase(),
      headers: options.headers || {},
      body: options.body === undefined || options.body === null ? null : String(options.body),
    };
    const answer = JSON.parse(natives.fetch(String(input), JSON.stringify(request)));
    if (answer.error) throw new TypeError(`fetch failed: ${answer.error}`);
    return Object.freeze({
      ok: answer.status >= 200 && answer.status < 300,
      status: answer.status,
      headers: Object.freeze({ get: (name) => answer.headers[String(name).toLowerCase()] ?? null }),
      text: async () => answer.body,
      json: async () => JSON.parse(answer.body),
    });
  };

  globalThis.exports = {};
  globalThis.module = { exports: globalThis.exports };

  const commands = {
    deny: null, idTokenClaims: {}, accessTokenClaims: {}, appMetadata: {}, multifactor: null,
    accessTokenScopesAdded: [], accessTokenScopesRemoved: [],
  };
  const reserved = new Set(JSON.parse(globalThis.__reserved_claims));
  const claimSetter = (target) => ({
    setCustomClaim(name, value) {
      const claim = String(name);
      if (reserved.has(claim)) throw new TypeError(`"${claim}" is a reserved claim and cannot be set by an Action`);
      target[claim] = value === undefined ? null : value;
    },
  });
  const access = {
    deny(reason) {
      // The host keeps a few hundred characters; more would only weigh down the result.
      if (commands.deny === null) commands.deny = reason === undefined ? "" : wellFormed(String(reason).slice(0, 1000));
    },
  };
  const user = {
    setAppMetadata(name, value) {
      commands.appMetadata[String(name)] = value === undefined ? null : value;
    },
  };
  const apis = {
    "post-login": {
      access,
      user,
      idToken: claimSetter(commands.idTokenClaims),
      accessToken: {
        ...claimSetter(commands.accessTokenClaims),
        // Permissions of the API the sign-in asked for; the host keeps only those it defines.
        addScope(permission) {
          const value = String(permission);
          commands.accessTokenScopesRemoved = commands.accessTokenScopesRemoved.filter((p) => p !== value);
          if (!commands.accessTokenScopesAdded.includes(value)) commands.accessTokenScopesAdded.push(value);
        },
        removeScope(permission) {
          const value = String(permission);
          commands.accessTokenScopesAdded = commands.accessTokenScopesAdded.filter((p) => p !== value);
          if (!commands.accessTokenScopesRemoved.includes(value)) commands.accessTokenScopesRemoved.push(value);
        },
      },
      multifactor: {
        enable(provider) {
          commands.multifactor = provider === undefined ? "any" : String(provider);
        },
      },
    },
    "pre-user-registration": { access, user },
    "post-user-registration": {},
  };
  const deepFreeze = (value) => {
    if (value && typeof value === "object" && !Object.isFrozen(value)) {
      Object.freeze(value);
      Object.values(value).forEach(deepFreeze);
    }
    return value;
  };
  const event = deepFreeze(JSON.parse(globalThis.__event_json));
  const api = deepFreeze(apis[globalThis.__trigger]);
  delete globalThis.__event_json;
  delete globalThis.__reserved_claims;

  const UNCAUGHT_NULL = "Uncaught null (a `throw null`, or the stack ran out inside a built-in function)";
  globalThis.__outcome = null;
  globalThis.__run = async function (entryPoint) {
    try {
      const exported = globalThis.module.exports[entryPoint] ?? globalThis.exports[entryPoint];
      if (typeof exported !== "function") {
        throw new TypeError(`the Action does not export ${entryPoint}: write exports.${entryPoint} = async (event, api) => { … }`);
      }
      await exported(event, api);
      globalThis.__outcome = JSON.stringify({ ok: true, commands });
    } catch (error) {
      const isError = error instanceof Error;
      globalThis.__outcome = JSON.stringify({
        ok: false,
        error: wellFormed(isError ? `${error.name}: ${error.message}` : error === null ? UNCAUGHT_NULL : `Uncaught ${show(error)}`),
        stack: isError && error.stack ? wellFormed(error.stack) : null,
      });
    }
  };
})();
