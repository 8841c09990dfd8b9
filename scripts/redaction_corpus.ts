/**
 * Ordinary text of coding sessions, generated from a seed, for measuring false positives of
 * redaction: code that names tokens and passwords, shell output, git logs and diffs, package
 * installs, test runs, docker and kubectl output, JSON from APIs, hashes, UUIDs, base64,
 * URLs without credentials, token usage, and prose about keys and secrets. None of it holds
 * a secret, so everything redaction replaces in it is a false positive.
 */
import { SecretMaker } from "../tests/redaction/secret_samples.ts";

const HEX = "0123456789abcdef";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64 = ALNUM + "+/";
const WORDS =
  "the a session file token secret key password request response item call output error value config build test commit branch user cache index server client api handler router query schema model stream line record lock path folder write read sync retry timeout limit count offset buffer parse encode decode hash digest id name title message content text image usage input output reasoning"
    .split(" ");
const NAMES = ["alice", "bob", "carol", "dave", "erin", "frank"];
const FILES = [
  "src/index.ts",
  "lib/store/recorder.ts",
  "app/models/user.py",
  "cmd/server/main.go",
  "crates/core/src/lib.rs",
  "tests/test_auth.py",
  "package.json",
  "README.md",
  "config/settings.yaml",
  ".github/workflows/ci.yml",
];

type Piece = (m: SecretMaker) => string;

function words(m: SecretMaker, n: number): string {
  return Array.from({ length: n }, () => m.pick(WORDS)).join(" ");
}

function uuid(m: SecretMaker): string {
  return `${m.chars(HEX, 8)}-${m.chars(HEX, 4)}-4${m.chars(HEX, 3)}-8${m.chars(HEX, 3)}-${
    m.chars(HEX, 12)
  }`;
}

function isoTime(m: SecretMaker): string {
  return `2026-${String(1 + Math.floor(m.next() * 12)).padStart(2, "0")}-${
    String(1 + Math.floor(m.next() * 28)).padStart(2, "0")
  }T${String(Math.floor(m.next() * 24)).padStart(2, "0")}:${m.digits(2).replace(/^[6-9]/, "5")}:${
    m.digits(2).replace(/^[6-9]/, "4")
  }Z`;
}

/** Each a realistic fragment of a coding session's text. */
const PIECES: Piece[] = [
  // Code that talks about secrets without holding one.
  (_m) =>
    `export async function refreshToken(client: ApiClient, token: string): Promise<Token> {\n  const response = await client.post("/oauth/token", { grant_type: "refresh_token", refresh_token: token });\n  if (!response.ok) throw new AuthError(\`token refresh failed: \${response.status}\`);\n  return parseToken(await response.json());\n}\n`,
  (m) =>
    `def check_password(user: User, password: str) -> bool:\n    """Compare the password with the stored hash."""\n    return bcrypt.checkpw(password.encode(), user.password_hash)\n\nMAX_TOKENS = ${
      m.digits(4)
    }\napi_key = os.environ.get("OPENAI_API_KEY")\n`,
  (m) =>
    `let secret = std::env::var("APP_SECRET").context("APP_SECRET is not set")?;\nlet key = derive_key(&secret, &salt_${
      m.chars(LOWER, 4)
    });\nlet token_count = tokens.len();\n`,
  (_m) =>
    `func (s *Server) authenticate(r *http.Request) (*Session, error) {\n\ttoken := r.Header.Get("Authorization")\n\tif token == "" {\n\t\treturn nil, ErrNoToken\n\t}\n\treturn s.sessions.Lookup(strings.TrimPrefix(token, "Bearer "))\n}\n`,
  (_m) =>
    `interface Credentials {\n  username: string;\n  password: string;\n  apiKey?: string;\n  accessToken: AccessToken | null;\n}\nconst creds: Credentials = { username, password, apiKey: process.env.API_KEY, accessToken: null };\n`,
  (m) =>
    `  ${m.pick(["const", "let"])} ${m.pick(WORDS)}${
      m.pick(["Count", "Index", "Value", "Map"])
    } = ${m.pick(["new Map()", "[]", "0", "null", `"${m.pick(WORDS)}"`])}; // ${words(m, 6)}\n`,
  (m) =>
    `  const token = await ${
      m.pick([
        "AccessTokenProviderFactory",
        "XMLHttpRequestSecretLoader",
        "OAuth2TokenRefreshService",
        "AWSSecretsManagerClientV3",
        "GoogleCredentialsProviderChain",
      ])
    }.create(${m.pick(["config", "options", "ctx"])}); // the secret comes from ${m.pick(WORDS)}\n`,
  // Shell output.
  (m) =>
    `$ ls -la\ntotal ${m.digits(3)}\n${
      Array.from({ length: 6 }, () =>
        `-rw-r--r--  1 ${m.pick(NAMES)} staff  ${m.digits(5)} Nov ${
          1 + Math.floor(m.next() * 28)
        } 12:${m.digits(2).replace(/^[6-9]/, "3")} ${m.pick(FILES).split("/").pop()}`).join("\n")
    }\n`,
  (m) =>
    `commit ${m.chars(HEX, 40)}\nAuthor: ${m.pick(NAMES)} <${
      m.pick(NAMES)
    }@example.com>\nDate:   Tue Nov 24 10:${
      m.digits(2).replace(/^[6-9]/, "1")
    }:00 2026 +0000\n\n    Fix token refresh when the secret rotates (#${m.digits(4)})\n\n`,
  (m) =>
    `diff --git a/${m.pick(FILES)} b/${m.pick(FILES)}\nindex ${m.chars(HEX, 7)}..${
      m.chars(HEX, 7)
    } 100644\n--- a/${m.pick(FILES)}\n+++ b/${m.pick(FILES)}\n@@ -${m.digits(2)},7 +${
      m.digits(2)
    },9 @@\n-  const key = cache.get(id);\n+  const key = cache.get(id) ?? computeKey(id);\n+  if (!key) throw new Error("no key for " + id);\n`,
  (m) =>
    `$ npm install\nadded ${m.digits(3)} packages, and audited ${m.digits(3)} packages in 4s\n\n${
      m.digits(2)
    } packages are looking for funding\n  run \`npm fund\` for details\n\nfound 0 vulnerabilities\nnpm notice New minor version of npm available! 10.${
      m.digits(1)
    }.0 -> 10.${m.digits(1)}.1\n`,
  (m) =>
    `============================= test session starts ==============================\nplatform linux -- Python 3.12.${
      m.digits(1)
    }, pytest-8.3.${m.digits(1)}\ncollected ${
      m.digits(2)
    } items\n\ntests/test_auth.py ........F.....                                   [ 45%]\n\nFAILED tests/test_auth.py::test_expired_token_is_refused - AssertionError: expected 401, got 200\n`,
  (m) =>
    `$ docker images\nREPOSITORY          TAG       IMAGE ID       CREATED        SIZE\napp/server          latest    ${
      m.chars(HEX, 12)
    }   2 hours ago    ${m.digits(3)}MB\nDigest: sha256:${
      m.chars(HEX, 64)
    }\nStatus: Downloaded newer image for node:22-alpine\n`,
  (m) =>
    `NAME                          READY   STATUS    RESTARTS   AGE\nweb-${m.chars(HEX, 10)}-${
      m.chars(LOWER + "0123456789", 5)
    }     1/1     Running   0          3d\nworker-${m.chars(HEX, 9)}-${
      m.chars(LOWER + "0123456789", 5)
    }  1/1     Running   2          3d\n`,
  // Data of APIs and tools.
  (m) =>
    `{"id":"chatcmpl-${m.chars(ALNUM, 29)}","object":"chat.completion","created":${
      m.digits(10)
    },"model":"gpt-4o-mini","usage":{"prompt_tokens":${m.digits(3)},"completion_tokens":${
      m.digits(2)
    },"total_tokens":${m.digits(3)}},"system_fingerprint":"fp_${m.chars(HEX, 10)}"}\n`,
  (m) =>
    `{"type":"token_count","info":{"total_token_usage":{"input_tokens":${
      m.digits(5)
    },"cached_input_tokens":${m.digits(4)},"output_tokens":${
      m.digits(4)
    },"reasoning_output_tokens":${m.digits(3)}}},"rate_limits":{"primary":{"used_percent":${
      m.digits(2)
    }.0}}}\n`,
  (m) =>
    `{"request_id":"${uuid(m)}","trace_id":"${m.chars(HEX, 32)}","etag":"W/\\"${
      m.chars(HEX, 16)
    }\\"","updated_at":"${isoTime(m)}","next_page_token":null}\n`,
  (m) =>
    `{"name":"${m.pick(WORDS)}-service","version":"1.${m.digits(1)}.${
      m.digits(1)
    }","integrity":"sha512-${m.chars(B64, 86)}==","resolved":"https://registry.npmjs.org/${
      m.pick(WORDS)
    }/-/${m.pick(WORDS)}-1.0.${m.digits(1)}.tgz"}\n`,
  (m) =>
    `session ${uuid(m)} started at ${isoTime(m)} in /home/${m.pick(NAMES)}/work/${m.pick(WORDS)}\n`,
  (m) => `"image_url": "data:image/png;base64,${m.chars(B64, 2000)}"\n`,
  (m) => `const logo = "iVBORw0KGgoAAAANSUhEUgAA${m.chars(B64, 400)}";\n`,
  (m) => `cache key: ${m.pick(NAMES)}-app:v${m.digits(1)}:${m.pick(WORDS)}:${m.chars(HEX, 64)}\n`,
  // URLs without credentials; addresses that look like them.
  (m) =>
    `See https://github.com/${m.pick(NAMES)}/${m.pick(WORDS)}/pull/${
      m.digits(4)
    }?diff=split&w=1 and git@github.com:${m.pick(NAMES)}/${m.pick(WORDS)}.git\n`,
  (m) =>
    `curl -s "https://api.example.com/v1/${m.pick(WORDS)}s?page=${
      m.digits(1)
    }&per_page=100" | jq '.items[] | .id'\n`,
  (m) => `Listening on http://localhost:${m.digits(4)}/ (ws://127.0.0.1:${m.digits(4)}/socket)\n`,
  // Prose about keys and secrets.
  (m) =>
    `I'll read the API key from the environment instead of hard-coding it, so the secret never ends up in the repository. ${
      words(m, 12)
    }.\n`,
  (m) =>
    `The token expired after ${m.digits(2)} minutes; the password reset flow sends a new link. ${
      words(m, 10)
    }.\n`,
  (m) =>
    `Set \`GITHUB_TOKEN\` in the repository secrets, then the workflow reads \${{ secrets.GITHUB_TOKEN }}. ${
      words(m, 8)
    }.\n`,
  (m) => `${words(m, 20)}.\n`,
];

/** About `bytes` characters of ordinary session text, in fragments. */
export function ordinaryText(seed: number, bytes: number): string[] {
  const make = new SecretMaker(seed);
  const out: string[] = [];
  let size = 0;
  while (size < bytes) {
    const piece = make.pick(PIECES)(make);
    out.push(piece);
    size += piece.length;
  }
  return out;
}
