/**
 * The redaction rules: what each secret format looks like, written from the providers' and
 * secret scanners' public descriptions of the formats (the README lists the sources). Data
 * only; `redact_text.ts` compiles and applies them.
 */
import { hasJwtHeader, isPlaceholder, isTypeWord, looksRandom, varied } from "./checks.ts";

/** What a rule's check sees besides the candidate secret. */
export interface Found {
  /** The text the rule matched before the secret (a keyword, a separator, a URL's user). */
  before: string;
  /** The character after the secret ("" at the end). */
  next: string;
  /** The character before the match ("" at the start). */
  prior: string;
}

/** One kind of secret. */
export interface Rule {
  /** The name in `[REDACTED:<name>]` and in the counts. */
  name: string;
  /** What precedes the secret and stays (a regular expression, no capturing groups). */
  before: string;
  /** The secret itself, replaced (a regular expression, no capturing groups). */
  secret: string;
  /** A second look at a candidate: false leaves it alone. */
  check?: (secret: string, found: Found) => boolean;
  /**
   * A rule of nearness: `before` is a keyword, and each `secret` that starts at most this
   * many characters after it, on its line, is a candidate.
   */
  within?: number;
}

/** A line break, or one escaped inside a JSON text held in a string. */
const NEWLINE = String.raw`(?:\r?\n|\\r?\\n)`;

/**
 * A token's edges: no letter, digit, `_` or `-` touches it, but for a JSON escape before it
 * (`\n`, `\t`, `\u0022`: a token inside a JSON text held as plain text). (A token glued to a
 * name, `key-ghp_...`, is not taken: letting `-` and `_` stand before a token makes each
 * `-sk-` inside a long run of such characters a start, and the search quadratic.)
 */
const START = String.raw`(?:(?<![A-Za-z0-9_-])|(?<=\\[nrtbf])|(?<=\\u[0-9A-Fa-f]{4}))`;
const END = String.raw`(?![A-Za-z0-9_-])`;

/** `word`, `Word` and `WORD`: how keywords are written in code, configs and prose. */
function cased(...words: string[]): string {
  const forms = words.flatMap((w) => [w, w[0]!.toUpperCase() + w.slice(1), w.toUpperCase()]);
  return `(?:${forms.join("|")})`;
}

/** Keywords that name a secret (`api_key`, `apiKey`, `API-KEY`, `API key`, `Password`, ...). */
const SEP = "[ _.-]?";
const KEYWORDS = [
  `${cased("pass")}(?:w(?:or)?d|W(?:OR)?D|phrase|PHRASE)`,
  cased("secret"),
  cased("token"),
  `${cased("api")}${SEP}${cased("key")}`,
  `${cased("access")}${SEP}${cased("key")}`,
  `${cased("private")}${SEP}${cased("key")}`,
  `${cased("auth")}${SEP}${cased("key")}`,
  `${cased("encryption")}${SEP}${cased("key")}`,
  `${cased("signing")}${SEP}${cased("key")}`,
  `${cased("master")}${SEP}${cased("key")}`,
  // Laravel's (`APP_KEY=base64:...`); only so written, "app key" is prose.
  "(?:APP|app)_(?:KEY|key)",
  `${cased("credential")}s?`,
  // `pwd` alone is the shell's working folder: only as part of a name (`DB_PWD`).
  String.raw`(?:pwd|PWD)(?<=[A-Za-z0-9][_.-](?:pwd|PWD))`,
];
/** Any secret keyword. */
export const KEYWORD = `(?:${KEYWORDS.join("|")})`;

/** Separators of an assignment: `=`, `:`, `:=`, `=>`, with a key's closing quote before. */
const ASSIGN = String.raw`\\?["'\x60]?[ \t]*(?:=>|:=|=|:)[ \t]*`;
/** An opening quote (escaped inside a JSON text held in a string). */
const OPEN = String.raw`(?:\\?["'\x60])?`;
/**
 * A value, quoted (up to its closing quote) or bare (up to a space or a delimiter). A bare
 * value goes on past `&` or `;` followed by a letter or digit when it then runs to the end of
 * its line (or of the text, or a closing quote), with no `=`: `DB_PASSWORD=p4ss;w0rd` in an
 * `.env` file is one value; `password=x; export Y=1`, `?password=x&user=y` and code
 * (`get_token(&config);`) are not run on.
 */
const BARE_PART = String.raw`[^\s"'\x60\\,;&<>(){}\[\]=]`;
const LINE_END = String.raw`(?=["'\x60]|\\[nr"]|\r?\n|$)`;
const VALUE = String
  .raw`(?!\[REDACTED:)(?:(?<=")[^"\\\n]{1,512}(?=\\?")|(?<=')[^'\\\n]{1,512}(?=\\?')|(?<=\x60)[^\x60\\\n]{1,512}(?=\x60)|(?<![\\"'\x60])[^\s"'\x60\\,;&<>(){}\[\]]{1,512}(?:(?:[;&][A-Za-z0-9]${BARE_PART}{0,256}){1,16}${LINE_END})?)`;

/** Whether an assignment's value is a secret written out, not a name, a type or a template. */
function assignedSecret(secret: string, found: Found): boolean {
  const value = secret.trim();
  if (value === "" || isPlaceholder(value)) return false;
  // A segment of a name such as `cache:token:<hash>` or an AWS ARN's `:secret:<name>`.
  if (found.prior === ":" && /^\w+:$/.test(found.before)) return false;
  const quoted = /["'\x60]$/.test(found.before);
  const password = /pass|pwd/i.test(found.before);
  if (quoted) {
    // A word in quotes is a setting (`token = "bearer"`) unless a password is set, three
    // characters are a name (`"id"`); a sentence is a message about a secret, not one
    // (passphrases aside, and a password whose words are no prose: `'Xk9 mP2 vL5'`).
    if (value.length < 4 || isTypeWord(value)) return false;
    if (!password && /^[A-Za-z][a-z]{0,11}$/.test(value)) return false;
    return (value.match(/ /g)?.length ?? 0) < 2 || /phrase/i.test(found.before) ||
      (password && isSpacedPassword(value));
  }
  if (found.next === "(" || /^[/~.]/.test(value) || /^[A-Za-z][\w+.-]*:\/\//.test(value)) {
    return false; // a call, a path, a URL
  }
  // A value run on past `;` or `&` from a word of fewer than four characters: the next
  // command of a shell line (`token=ok;ls`).
  if (/^[^;&]{1,3}[;&]/.test(value)) return false;
  // A command-line flag's value (`--secret id=npmrc,src=...`, `--master-key config/master.key`):
  // settings and files, not secrets, when they hold `=` or `/`.
  if (found.before.startsWith("--") && /[=/]/.test(value)) return false;
  if (/^\d+$/.test(value)) return password && value.length >= 4;
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/.test(value)) {
    // A name: code passing a variable (`token=token`, `api_key=cfg.key`), or a type.
    if (value.includes(".") || isTypeWord(value)) return false;
    if (/\d/.test(value)) return true;
    // A password of capitalised words (`password=CorrectHorseBatteryStaple`): no variable
    // name, and at the end of its line, not a type (`password: SecretStr,`).
    if (password && isCapitalisedWords(value) && /^\s?$/.test(found.next)) return true;
    // A bare word is a secret only where no code assigns names: `PASSWORD=hunter` in a shell.
    const keyword = found.before.replace(/\W.*$/s, "");
    return /=$/.test(found.before) && keyword === keyword.toUpperCase();
  }
  return value.length >= 3;
}

/**
 * Whether a quoted text of several words reads as a password rather than as a message about
 * one: every word is a short one of letters and digits holding a digit (`'Xk9 mP2 vL5 112'`),
 * or one word of eight or more characters mixes letters, digits and signs (`"Xk9#mP2$vL5 with
 * spaces"`). Words of any
 * script, hints (`'Use 8+ chars incl. A-Z'`) and names (`"stored in 1Password"`) are prose.
 */
function isSpacedPassword(value: string): boolean {
  const words = value.split(/\s+/).filter((word) => word !== "");
  const mixes = (word: string) => /\p{L}/u.test(word) && /\d/.test(word);
  // Short words of letters and digits, each with a digit: `'Kr6 Ut9 112 ZO8'`.
  const coded = (word: string) => /^[\p{L}\p{N}]{1,12}$/u.test(word) && /\d/.test(word);
  if (words.length >= 2 && words.every(coded) && words.some(mixes)) return true;
  // (Signs of a password, not of a pattern: `^[a-z0-9]{8,}$` is a rule about one.)
  return words.some((word) =>
    word.length >= 8 && mixes(word) && /[!@#$%^&*+=~?]/.test(word) && !/[[\]{}()<>]/.test(word)
  );
}

/** Endings of class and type names: `PasswordHasherFactory`, `HashedPasswordField`. */
const TYPE_ENDINGS =
  /(?:Factory|Field|Hasher|Type|Class|Manager|Service|Provider|Validator|Handler|Config|Error|Exception|Builder|Model|Form|Serializer|Schema|Str|String|Input|Widget|Policy|Strategy|Store|Encoder|Decoder|Helper|Util|Utils)$/;

/**
 * Three or more capitalised words run together, twelve letters or more, ending in no class or
 * type name's ending: no name code would use.
 */
function isCapitalisedWords(value: string): boolean {
  return /^[A-Za-z]{12,}$/.test(value) && (value.match(/[A-Z][a-z]+/g)?.length ?? 0) >= 3 &&
    value !== value.toUpperCase() && !TYPE_ENDINGS.test(value);
}

/**
 * The rules, in the order they are tried. `FORMAT_RULES` find tokens by their own shape (one
 * combined pass); `CONTEXT_RULES` find secrets by what surrounds them (a URL, a keyword),
 * each in its own pass after the formats, so a token of a known format is named for its
 * format wherever it stands.
 */
export const FORMAT_RULES: readonly Rule[] = [
  {
    // PEM: the whole block, whose body holds base64; a block cut short (no END line) up to
    // its last line of base64. Newlines may be escaped (a key inside a JSON text).
    name: "private_key",
    before: "",
    secret:
      `-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:[\\s\\S]{1,65536}?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|(?:${NEWLINE}(?:(?:Proc-Type|DEK-Info|Comment|Version):[^\\n\\\\]*|[A-Za-z0-9+/=]{16,}))+)`,
    check: (s) => /[A-Za-z0-9+/]{16,}/.test(s.slice(s.indexOf("-----", 10) + 5)),
  },
  {
    // Anthropic: sk-ant-api03-..., sk-ant-admin01-..., sk-ant-oat01-... (OAuth).
    name: "anthropic",
    before: START,
    secret: String.raw`sk-ant-[a-z]{2,10}[0-9]{0,3}-[A-Za-z0-9_-]{32,}${END}`,
    check: (s) => varied(s.slice(14)),
  },
  {
    // OpenAI: sk-proj-, sk-svcacct-, sk-admin- and the older sk-<48>; all hold T3BlbkFJ.
    name: "openai",
    before: START,
    secret: String.raw`sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,}${END}`,
    check: (s) =>
      s.includes("T3BlbkFJ") ||
      (/^sk-(?:proj|svcacct|admin)-/.test(s) && s.length >= 48 && varied(s.slice(8)) &&
        /[A-Z]/.test(s) && /[a-z]/.test(s) && /\d/.test(s)) ||
      (/^sk-[A-Za-z0-9]{48}$/.test(s) && /[A-Z]/.test(s) && /\d/.test(s)),
  },
  {
    // AWS access key ids: AKIA (long-term), ASIA (STS), ABIA, ACCA; 16 more of [A-Z0-9].
    name: "aws_access_key_id",
    before: START,
    secret: String.raw`(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}${END}`,
    check: (s) => varied(s.slice(4)),
  },
  {
    // GitHub: ghp_ (classic PAT), gho_ (OAuth), ghu_/ghs_ (apps), ghr_ (refresh), github_pat_.
    name: "github",
    before: START,
    secret: String.raw`(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{50,251})${END}`,
    check: (s) => varied(s.slice(4)),
  },
  {
    // GitLab: glpat- (personal), gldt- (deploy), glrt- (runner), glcbt- (CI job), ...
    name: "gitlab",
    before: START,
    secret: String
      .raw`gl(?:pat|dt|rt|cbt|ptt|ft|imt|agent|oas|soat|ffct)-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9]{2,}){0,2}${END}`,
    check: (s) => varied(s.slice(s.indexOf("-") + 1)),
  },
  {
    // Slack incoming webhooks and workflow triggers: the path after the host is the secret.
    name: "slack_webhook",
    before: String.raw`(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/`,
    secret: String.raw`[A-Za-z0-9_/+-]{20,}`,
    check: (s) => varied(s),
  },
  {
    // Slack: xoxb- (bot), xoxp- (user), xoxa-/xoxr- (workspace), xoxs-/xoxo- (legacy),
    // xoxe- (refresh), xoxe.xoxp- (configuration), xapp- (app-level).
    name: "slack",
    before: START,
    secret: String.raw`(?:xox[abposre]|xoxe\.xox[bp]|xapp)-[A-Za-z0-9-]{10,}${END}`,
    check: (s) => (s.match(/\d/g)?.length ?? 0) >= 4 && varied(s.slice(5)),
  },
  {
    // Google API keys: AIza and 35 more characters.
    name: "google_api_key",
    before: START,
    secret: String.raw`AIza[A-Za-z0-9_-]{35}${END}`,
    check: (s) => varied(s.slice(4)),
  },
  {
    // Stripe secret and restricted keys, live and test, and webhook signing secrets.
    name: "stripe",
    before: START,
    secret: String
      .raw`(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9]{24,})${END}`,
    check: (s) => varied(s.slice(8)),
  },
  {
    // npm access tokens: npm_ and 36 letters and digits.
    name: "npm",
    before: START,
    secret: String.raw`npm_[A-Za-z0-9]{36}${END}`,
    check: (s) => varied(s.slice(4)) && /\d/.test(s) && /[A-Za-z]/.test(s.slice(4)),
  },
  {
    // PyPI (and TestPyPI) upload tokens: a macaroon whose base64 starts with the index's name.
    name: "pypi",
    before: START,
    secret: String.raw`pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{40,}${END}`,
  },
  {
    // JWTs (JWS and JWE): base64url parts, the first a JSON header naming its `alg`.
    name: "jwt",
    before: START,
    secret: String
      .raw`eyJ[A-Za-z0-9_-]{8,}={0,2}\.[A-Za-z0-9_-]{2,}={0,2}\.[A-Za-z0-9_-]*={0,2}(?:\.[A-Za-z0-9_-]+){0,2}${END}`,
    check: hasJwtHeader,
  },
];

/** The rules of context, applied one after the other once the formats are done. */
export const CONTEXT_RULES: readonly Rule[] = [
  {
    // scheme://user:password@host: the password goes, the user and host stay.
    name: "url_credentials",
    // (The scheme is looked for behind `://`: searching for `://` first is ten times faster.)
    // (A user that is a redacted token is none: `https://[REDACTED:github]@host`.)
    before: String
      .raw`(?<=\b[A-Za-z][A-Za-z0-9+.-]{1,30})://(?!\[REDACTED:)[^\s:@/?#"'\x60\\<>]{0,256}:`,
    secret: String.raw`(?!\[REDACTED:)[^\s@/?#"'\x60\\<>]{1,256}(?=@[A-Za-z0-9\[])`,
    check: (s) => !isPlaceholder(s) && !/^\d{1,5}$/.test(s),
  },
  {
    // AWS secret access keys: 40 characters of base64 beside an AWS secret's name.
    name: "aws_secret_access_key",
    before: String.raw`(?:${cased("aws")}${SEP}${cased("secret")}(?:${SEP}${cased("access")})?|${
      cased("secret")
    }${SEP}${cased("access")})${SEP}${
      cased("key")
    }\\?["'\x60]?[ \t]*(?:=>|:=|=|:|[ \t])[ \t]*${OPEN}`,
    secret: String.raw`[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])`,
    check: (s) => varied(s) && /\d/.test(s) && /[A-Za-z]/.test(s),
  },
  {
    // `password=...`, `"token": "..."`, `api_key: ...`, `--password ...`, `SECRET_KEY_BASE=...`,
    // `Authorization: Bearer ...`.
    name: "secret_assignment",
    before: String.raw`(?:${KEYWORD}(?:${SEP}(?:${cased("key")}|${cased("value")}))?(?:${SEP}${
      cased("base")
    })?(?![A-Za-z0-9_])${ASSIGN}|--(?:[a-z0-9]+-)*${KEYWORD}[ \t]+|${
      cased("authorization")
    }\\?["'\x60]?[ \t]*[:=][ \t]*\\?["'\x60]?(?:Bearer|Basic|Token|Bot|Digest|bearer|basic|token)[ \t]+|${
      cased("bearer")
    }[ \t]+(?=[A-Za-z0-9._~+/-]{16}))${OPEN}`,
    secret: VALUE,
    check: (s, found) =>
      /^(?:authorization|bearer)/i.test(found.before)
        ? s.length >= 8 && varied(s) && /\d/.test(s)
        : assignedSecret(s, found),
  },
  {
    // A random-looking word within 40 characters after a secret keyword ("my API key is ...").
    name: "high_entropy",
    before: KEYWORD,
    secret: String.raw`(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{20,256}(?![A-Za-z0-9+/=_-])`,
    within: 40,
    check: looksRandom,
  },
];
