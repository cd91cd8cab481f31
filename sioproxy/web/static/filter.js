// The `show --filter` language (sioproxy/inspect/filters.py), ported line for line so the
// filter box selects exactly what `sioproxy show --filter` prints. Rows carry the fields
// `describe()` computes (sioproxy/web/rows.py). tests/web/test_filter_js.py checks both agree.
"use strict";
(function (root) {
  const FIELDS = {
    nsp: "nsp", event: "event", dir: "dir", type: "type", conn: "conn", transport: "transport",
    kind: "kind", id: "id", raw: "raw", fate: "fate", rule: "rule",
  };
  const CHOICES = {
    dir: ["c2s", "s2c"],
    kind: ["packet", "open", "upgrade", "close"],
    fate: ["dropped", "injected", "rewritten", "delayed"],
  };
  const KEYWORDS = new Set(["or", "and", "not"]);
  const isSpace = (c) => /\s/.test(c);

  class FilterSyntaxError extends Error {
    constructor(text, column, reason) {
      super(`${reason} at column ${column}`);
      this.column = column;
      this.reason = reason;
    }
  }

  function reEscape(s) {
    return s.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
  }

  function tokenize(text) {
    const tokens = [];
    let pos = 0;
    while (pos < text.length) {
      const c = text[pos];
      if (isSpace(c)) pos += 1;
      else if (c === "(" || c === ")") { tokens.push({ kind: c, pos }); pos += 1; }
      else if (c === "-" && pos + 1 < text.length && !isSpace(text[pos + 1])) {
        tokens.push({ kind: "not", pos }); pos += 1;
      } else {
        const [token, next] = word(text, pos);
        tokens.push(token); pos = next;
      }
    }
    return tokens;
  }

  function word(text, start) {
    const parts = [];
    let pos = start;
    while (pos < text.length && !isSpace(text[pos]) && text[pos] !== "(" && text[pos] !== ")") {
      if (text[pos] === '"') {
        const [quoted, next] = quotedPart(text, pos);
        parts.push([quoted, true]); pos = next;
      } else { parts.push([text[pos], false]); pos += 1; }
    }
    const plain = parts.map((p) => p[0]).join("");
    if (!parts.some((p) => p[1]) && KEYWORDS.has(plain.toLowerCase())) {
      return [{ kind: plain.toLowerCase(), pos: start }, pos];
    }
    return [term(text, start, parts), pos];
  }

  function quotedPart(text, start) {
    const out = [];
    let pos = start + 1;
    while (pos < text.length) {
      let c = text[pos];
      if (c === '"') return [out.join(""), pos + 1];
      if (c === "\\" && pos + 1 < text.length) { pos += 1; c = text[pos]; }
      out.push(c); pos += 1;
    }
    throw new FilterSyntaxError(text, start + 1, "unterminated quote");
  }

  function pyRepr(s) {
    // Python's repr of a str, for messages that quote the user's word as show does.
    return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  }

  function term(text, start, parts) {
    const colon = parts.findIndex((p) => p[0] === ":" && !p[1]);
    if (colon < 0) {
      const w = parts.map((p) => p[0]).join("");
      throw new FilterSyntaxError(text, start + 1, `expected key:value, got ${pyRepr(w)}`);
    }
    const key = parts.slice(0, colon).map((p) => p[0]).join("").toLowerCase();
    if (!(key in FIELDS)) {
      const known = Object.keys(FIELDS).join(", ");
      throw new FilterSyntaxError(text, start + 1, `unknown key ${pyRepr(key)} (known: ${known})`);
    }
    const value = parts.slice(colon + 1);
    if (!value.length) throw new FilterSyntaxError(text, start + key.length + 2, `missing value after ${key}:`);
    const regex = value.map(([p, q]) => (p === "*" && !q ? ".*" : reEscape(p))).join("");
    const plain = value.map((p) => p[0]).join("");
    const choices = CHOICES[key];
    if (choices && !plain.includes("*") && !choices.includes(plain)) {
      throw new FilterSyntaxError(text, start + key.length + 2,
        `${key} must be ${choices.join(" or ")}, got ${pyRepr(plain)}`);
    }
    return { kind: "term", pos: start, key, pattern: new RegExp(`^(?:${regex})$`, "s") };
  }

  function fieldText(row, key) {
    const v = row[FIELDS[key]];
    if (v === null || v === undefined) return null;
    return String(v);
  }

  class Parser {
    constructor(text, tokens) { this.text = text; this.tokens = tokens; this.index = 0; }
    peek() { return this.index < this.tokens.length ? this.tokens[this.index].kind : null; }
    fail(reason) {
      const pos = this.index < this.tokens.length ? this.tokens[this.index].pos : this.text.length;
      return new FilterSyntaxError(this.text, pos + 1, reason);
    }
    parseOr() {
      if (this.peek() === "or") throw this.fail("'or' needs a term before it");
      const parts = [this.parseAnd()];
      while (this.peek() === "or") {
        this.index += 1;
        if ([null, ")", "or"].includes(this.peek())) throw this.fail("'or' needs a term after it");
        parts.push(this.parseAnd());
      }
      return parts.length === 1 ? parts[0] : (row) => parts.some((p) => p(row));
    }
    parseAnd() {
      const parts = [this.parseUnary()];
      while (![null, ")", "or"].includes(this.peek())) {
        if (this.peek() === "and") {
          this.index += 1;
          if ([null, ")", "or", "and"].includes(this.peek())) throw this.fail("'and' needs a term after it");
        }
        parts.push(this.parseUnary());
      }
      return parts.length === 1 ? parts[0] : (row) => parts.every((p) => p(row));
    }
    parseUnary() {
      const kind = this.peek();
      if (kind === null) throw this.fail("expected a term");
      const token = this.tokens[this.index];
      this.index += 1;
      if (kind === "not") {
        if ([null, ")", "or", "and"].includes(this.peek())) {
          throw new FilterSyntaxError(this.text, token.pos + 1, "nothing to negate");
        }
        const inner = this.parseUnary();
        return (row) => !inner(row);
      }
      if (kind === "(") {
        const inner = this.parseOr();
        if (this.peek() !== ")") throw new FilterSyntaxError(this.text, token.pos + 1, "unclosed '('");
        this.index += 1;
        return inner;
      }
      if (kind === "term") {
        return (row) => {
          const v = fieldText(row, token.key);
          return v !== null && token.pattern.test(v);
        };
      }
      this.index -= 1;
      throw this.fail(`unexpected ${pyRepr(kind)}`);
    }
  }

  function compileFilter(text) {
    const parser = new Parser(text, tokenize(text));
    if (!parser.tokens.length) throw new FilterSyntaxError(text, 1, "empty expression");
    const predicate = parser.parseOr();
    if (parser.peek() !== null) {
      throw new FilterSyntaxError(text, parser.tokens[parser.index].pos + 1, "unexpected ')'");
    }
    return predicate;
  }

  root.sioFilter = { compileFilter, FilterSyntaxError };
  if (typeof module !== "undefined") module.exports = root.sioFilter;
})(typeof window !== "undefined" ? window : globalThis);
