/**
 * Secrets of every format the rules know, made up from a seeded generator (never real, and
 * assembled at run time so no token sits in the source), with near misses beside them.
 * Shared by the rule tests and `scripts/redaction_eval.ts`.
 */

import { SeededRandom } from "../reliability/seeded_random.ts";

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const B64URL = ALNUM + "_-";
const B64 = ALNUM + "+/";

/** A seeded generator of random characters. */
export class SecretMaker extends SeededRandom {
  /** `n` characters of `alphabet`, with at least two digits when it has digits. */
  chars(alphabet: string, n: number): string {
    for (;;) {
      let out = "";
      for (let i = 0; i < n; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
      if (!/\d/.test(alphabet) || (out.match(/\d/g)?.length ?? 0) >= 2 || n < 8) return out;
    }
  }

  digits(n: number): string {
    return this.chars(DIGITS, n);
  }
}

/** base64url of a text (what a JWT's parts are). */
function base64url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** One planted secret: the rule that must find it and the text that holds it. */
export interface Planted {
  rule: string;
  /** The secret itself (what must disappear). */
  secret: string;
  /** A line of a transcript holding it. */
  text: string;
  /**
   * Found only where the line ends after it (a value with `;` or `&` in it runs on to the end
   * of its line, not past more words): not to be planted in the middle of a line.
   */
  atLineEnd?: true;
}

const PEM_BODY_LINES = 6;

/** One secret of each format (and of each variant of a format), in its usual surroundings. */
export function plantedSecrets(make: SecretMaker): Planted[] {
  const m = make;
  const sk = "s" + "k";
  const openaiProj = `${sk}-proj-${m.chars(B64URL, 74)}T3Blbk${"FJ"}${m.chars(B64URL, 74)}`;
  const openaiSvc = `${sk}-svcacct-${m.chars(B64URL, 58)}T3Blbk${"FJ"}${m.chars(B64URL, 58)}`;
  const openaiAdmin = `${sk}-admin-${m.chars(B64URL, 58)}T3Blbk${"FJ"}${m.chars(B64URL, 58)}`;
  const openaiLegacy = `${sk}-${m.chars(ALNUM, 20)}T3Blbk${"FJ"}${m.chars(ALNUM, 20)}`;
  const anthropic = `${sk}-ant-api03-${m.chars(B64URL, 93)}AA`;
  const anthropicAdmin = `${sk}-ant-admin01-${m.chars(B64URL, 93)}AA`;
  const anthropicOauth = `${sk}-ant-oat01-${m.chars(B64URL, 95)}`;
  const akia = `AK${"IA"}${m.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`;
  const asia = `AS${"IA"}${m.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`;
  const awsSecret = m.chars(B64, 40);
  const gh = (p: string) => `gh${p}_${m.chars(ALNUM, 36)}`;
  const githubPat = `github${"_pat_"}${m.chars(ALNUM, 22)}_${m.chars(ALNUM, 59)}`;
  const glpat = `gl${"pat"}-${m.chars(B64URL, 20)}`;
  const glrt = `gl${"rt"}-${m.chars(B64URL, 20)}`;
  const slackBot = `xo${"xb"}-${m.digits(12)}-${m.digits(13)}-${m.chars(ALNUM, 24)}`;
  const slackUser = `xo${"xp"}-${m.digits(12)}-${m.digits(12)}-${m.digits(12)}-${
    m.chars("0123456789abcdef", 32)
  }`;
  const slackApp = `xa${"pp"}-1-A${m.digits(10)}-${m.digits(13)}-${
    m.chars("0123456789abcdef", 64)
  }`;
  const webhookPath = `T${m.chars(UPPER + DIGITS, 8)}/B${m.chars(UPPER + DIGITS, 10)}/${
    m.chars(ALNUM, 24)
  }`;
  const google = `AI${"za"}Sy${m.chars(B64URL, 33)}`;
  const stripeLive = `${sk}_live_${m.chars(ALNUM, 24)}`;
  const stripeRestricted = `r${"k"}_live_${m.chars(ALNUM, 24)}`;
  const stripeTest = `${sk}_test_${m.chars(ALNUM, 24)}`;
  const npm = `np${"m_"}${m.chars(ALNUM, 36)}`;
  const pypi = `py${"pi"}-AgEIcHlwaS5vcmc${m.chars(B64URL, 120)}`;
  const jwt = `${base64url('{"alg":"HS256","typ":"JWT"}')}.${
    base64url(`{"sub":"${m.digits(10)}","name":"Jo","iat":${m.digits(10)}}`)
  }.${m.chars(B64URL, 43)}`;
  const jwtNone = `${base64url('{"alg":"none"}')}.${base64url('{"sub":"x","admin":true}')}.`;
  const pemLines = Array.from({ length: PEM_BODY_LINES }, () => m.chars(B64, 64));
  const pem = (kind: string) =>
    `-----BEGIN ${kind}-----\n${pemLines.join("\n")}\n-----END ${kind}-----`;
  const urlPassword = m.chars(ALNUM, 16);
  const password = `${m.chars(LOWER, 6)}${m.digits(3)}!`;
  const token = m.chars("0123456789abcdef", 40);
  const random = m.chars(ALNUM, 32);
  const capital = () => {
    const word = m.chars(LOWER, 4 + Math.floor(m.next() * 4));
    return word[0]!.toUpperCase() + word.slice(1);
  };
  const words = `${capital()}${capital()}${capital()}${capital()}`;
  const spaced = Array.from({ length: 4 }, () => m.chars(ALNUM, 2) + m.digits(1)).join(" ");
  const glued = `${m.chars(ALNUM, 5)};${m.chars(ALNUM, 4)}&${m.chars(ALNUM, 3)}#${
    m.chars(ALNUM, 4)
  }`;
  const ghGlued = gh("p");
  return [
    { rule: "openai", secret: openaiProj, text: `export OPENAI_API_KEY=${openaiProj}` },
    { rule: "openai", secret: openaiSvc, text: `client = OpenAI(api_key="${openaiSvc}")` },
    { rule: "openai", secret: openaiAdmin, text: `curl -H "x: ${openaiAdmin}" https://api` },
    { rule: "openai", secret: openaiLegacy, text: `old key ${openaiLegacy} still works` },
    { rule: "anthropic", secret: anthropic, text: `ANTHROPIC_API_KEY=${anthropic}` },
    { rule: "anthropic", secret: anthropicAdmin, text: `admin: ${anthropicAdmin}` },
    { rule: "anthropic", secret: anthropicOauth, text: `{"accessToken":"${anthropicOauth}"}` },
    { rule: "aws_access_key_id", secret: akia, text: `aws_access_key_id = ${akia}` },
    { rule: "aws_access_key_id", secret: asia, text: `"AccessKeyId": "${asia}",` },
    {
      rule: "aws_secret_access_key",
      secret: awsSecret,
      text: `aws_secret_access_key = ${awsSecret}`,
    },
    {
      rule: "aws_secret_access_key",
      secret: awsSecret,
      text: `        "SecretAccessKey": "${awsSecret}",`,
    },
    ...["p", "o", "u", "s", "r"].map((p) => {
      const secret = gh(p);
      return { rule: "github", secret, text: `git remote set-url origin https://x:${secret}@h` };
    }).map((planted, i) =>
      i === 0 ? planted : { ...planted, text: `GITHUB_TOKEN: ${planted.secret}` }
    ),
    { rule: "github", secret: githubPat, text: `gh auth login --with-token <<< ${githubPat}` },
    { rule: "gitlab", secret: glpat, text: `PRIVATE-TOKEN: ${glpat}` },
    { rule: "gitlab", secret: glrt, text: `runner token ${glrt}` },
    { rule: "slack", secret: slackBot, text: `SLACK_BOT_TOKEN=${slackBot}` },
    { rule: "slack", secret: slackUser, text: `"token": "${slackUser}"` },
    { rule: "slack", secret: slackApp, text: `app token ${slackApp}` },
    {
      rule: "slack_webhook",
      secret: webhookPath,
      text: `curl -X POST https://hooks.slack.com/services/${webhookPath} -d '{}'`,
    },
    { rule: "google_api_key", secret: google, text: `https://maps.example/api?key=${google}&x=1` },
    { rule: "stripe", secret: stripeLive, text: `Stripe.api_key = "${stripeLive}"` },
    { rule: "stripe", secret: stripeRestricted, text: `restricted ${stripeRestricted}` },
    { rule: "stripe", secret: stripeTest, text: `STRIPE_SECRET_KEY=${stripeTest}` },
    { rule: "npm", secret: npm, text: `//registry.npmjs.org/:_authToken=${npm}` },
    { rule: "pypi", secret: pypi, text: `password = ${pypi}` },
    { rule: "jwt", secret: jwt, text: `Cookie: session=${jwt}; Path=/` },
    { rule: "jwt", secret: jwtNone, text: `unsigned ${jwtNone} accepted` },
    ...["RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "PRIVATE KEY"].map((kind) => ({
      rule: "private_key",
      secret: pemLines[0]!,
      text: `$ cat key.pem\n${pem(kind)}\n$ `,
    })),
    {
      rule: "private_key",
      secret: pemLines[1]!,
      text: `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${pemLines.slice(0, 3).join("\n")}`,
    },
    {
      rule: "url_credentials",
      secret: urlPassword,
      text: `DATABASE_URL=postgres://app:${urlPassword}@db.internal:5432/app`,
    },
    {
      rule: "url_credentials",
      secret: urlPassword,
      text: `redis://default:${urlPassword}@cache:6379/0`,
    },
    { rule: "secret_assignment", secret: password, text: `DB_PASSWORD=${password}` },
    { rule: "secret_assignment", secret: password, text: `{"password": "${password}"}` },
    { rule: "secret_assignment", secret: password, text: `mysql --password=${password} db` },
    { rule: "secret_assignment", secret: token, text: `auth_token: ${token}` },
    {
      rule: "secret_assignment",
      secret: token,
      text: `curl -H 'Authorization: Bearer ${token}' https://api`,
    },
    { rule: "secret_assignment", secret: password, text: `client_secret='${password}'` },
    // A password of capitalised words, or of short words that are no prose.
    { rule: "secret_assignment", secret: words, text: `password=${words}` },
    { rule: "secret_assignment", secret: words, text: `  password: ${words}` },
    { rule: "secret_assignment", secret: spaced, text: `PASSWORD='${spaced}'` },
    {
      rule: "secret_assignment",
      secret: `${password} and more`,
      text: `{"password": "${password} and more"}`,
    },
    // A value with `&`, `;` or `#` in it, in full.
    { rule: "secret_assignment", secret: glued, text: `DB_PASSWORD=${glued}`, atLineEnd: true },
    { rule: "secret_assignment", secret: glued, text: `db.password=${glued}`, atLineEnd: true },
    { rule: "secret_assignment", secret: token, text: `SECRET_KEY_BASE=${token}` },
    { rule: "secret_assignment", secret: random, text: `ENCRYPTION_KEY=${random}` },
    { rule: "secret_assignment", secret: `base64:${random}=`, text: `APP_KEY=base64:${random}=` },
    { rule: "secret_assignment", secret: password, text: `psql --password ${password} db` },
    // Tokens glued to an escape of a JSON text held as plain text.
    { rule: "github", secret: ghGlued, text: `{\\"msg\\":\\"keys:\\n${ghGlued}\\n\\"}` },
    { rule: "aws_access_key_id", secret: akia, text: `[\\"\\u0022${akia}\\"]` },
    { rule: "high_entropy", secret: random, text: `Here is my API key ${random} for you.` },
    { rule: "high_entropy", secret: random, text: `the secret you asked for is ${random}` },
  ];
}

/** Text that must be left alone: each line holds something one rule could mistake. */
export function nearMisses(make: SecretMaker): { rule: string; text: string }[] {
  const m = make;
  const sk = "s" + "k";
  const hex40 = m.chars("0123456789abcdef", 40);
  const uuid = `${m.chars("0123456789abcdef", 8)}-${m.chars("0123456789abcdef", 4)}-4${
    m.chars("0123456789abcdef", 3)
  }-a${m.chars("0123456789abcdef", 3)}-${m.chars("0123456789abcdef", 12)}`;
  const image = `data:image/png;base64,${m.chars(B64, 4000)}`;
  const pemPublic = `-----BEGIN PUBLIC KEY-----\n${m.chars(B64, 64)}\n-----END PUBLIC KEY-----`;
  return [
    { rule: "openai", text: `pip install scikit-learn  # imported as ${sk}-learn, not sklearn` },
    { rule: "openai", text: `.${sk}-some-very-long-kebab-case-css-class-name { color: red }` },
    {
      rule: "openai",
      text: `the ${sk}-proj- prefix marks a project key; ${sk}-ant- an Anthropic one`,
    },
    { rule: "openai", text: `task-${m.chars(ALNUM, 30)} and disk-${m.chars(LOWER, 30)}` },
    { rule: "anthropic", text: `${sk}-ant-api03-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` },
    { rule: "aws_access_key_id", text: "AKIAXXXXXXXXXXXXXXXX is the documented placeholder" },
    {
      rule: "aws_access_key_id",
      text: `TODAYINASIAASACKOFRICEFELLOVER; AKIA${m.chars(UPPER, 15)}`,
    },
    { rule: "aws_access_key_id", text: `Slovakia, Malaysia and Asia${m.chars(UPPER, 16)}x` },
    { rule: "github", text: `the prefix ghp_ alone, and gh_${m.chars(ALNUM, 36)}` },
    { rule: "github", text: "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx (replace me)" },
    { rule: "gitlab", text: "glpat-XXXXXXXXXXXXXXXXXXXX and glpat-short" },
    { rule: "slack", text: "xoxb-your-bot-token-here, xoxo-gossip-girl-forever-and-ever" },
    { rule: "slack_webhook", text: "see https://hooks.slack.com/services/ for the docs" },
    { rule: "google_api_key", text: "AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa and AIzaSyShort" },
    { rule: "stripe", text: `pk_live_${m.chars(ALNUM, 24)} is publishable; risk_test_cases_2024` },
    { rule: "npm", text: "npm_config_cache=/tmp/npm and npm_package_name_with_a_long_tail_here" },
    { rule: "pypi", text: "pypi-release-automation-project and pypi-AgE" },
    {
      rule: "jwt",
      text: `${base64url('{"foo":"bar","baz":12345}')}.${base64url('{"x":1}')}.${
        m.chars(B64URL, 20)
      }`,
    },
    { rule: "private_key", text: pemPublic },
    {
      rule: "private_key",
      text: "a file that starts with -----BEGIN RSA PRIVATE KEY----- is a key",
    },
    {
      rule: "url_credentials",
      text: "https://example.com/a/b?c=d and ssh://git@github.com:22/o/r",
    },
    { rule: "url_credentials", text: "postgres://user:password@localhost/db (the docs' example)" },
    { rule: "url_credentials", text: "https://alice@host/path and http://host:8080/x@y" },
    { rule: "secret_assignment", text: "Please enter your password. The password is wrong." },
    { rule: "secret_assignment", text: "interface Login { password: string; token?: Token }" },
    {
      rule: "secret_assignment",
      text: "struct Key { token: int64, secret: [u8; 32], pwd_len: u16 }",
    },
    { rule: "secret_assignment", text: "const token = getToken(); client(api_key=api_key)" },
    { rule: "secret_assignment", text: '{"max_tokens": 4096, "token_count": 12, "tokens": 7}' },
    { rule: "secret_assignment", text: "passwordless: true\ntoken: ${{ secrets.GITHUB_TOKEN }}" },
    { rule: "secret_assignment", text: 'password = os.environ["DB_PASSWORD"]; secret: <secret>' },
    { rule: "secret_assignment", text: '<input type="password" name="password">' },
    { rule: "secret_assignment", text: "api_key = settings.API_KEY; token=$TOKEN; pwd\n/home/u" },
    {
      rule: "secret_assignment",
      text: "async function f(token: string): Promise<Token> { return g(password=pw); }",
    },
    {
      rule: "secret_assignment",
      text: "class Config:\n    password: SecretStr\n    token: Token\n",
    },
    { rule: "secret_assignment", text: 'password = "must be at least eight characters long"' },
    { rule: "secret_assignment", text: "docker login --password-stdin < file; gh --token $TOKEN" },
    {
      rule: "secret_assignment",
      text: "PASSWORD_HASH=bcrypt and TOKEN_TYPE=Bearer; password: Password,",
    },
    // Code and shell around a secret's name: types, calls, indexing, command substitution,
    // the next command of a line, flags that name files and settings, class names.
    {
      rule: "secret_assignment",
      text: "struct Db { password: Option<String>, }\nlet token = get_token(&config);",
    },
    { rule: "secret_assignment", text: "api_key: Optional[str] = None; secret = cfg[key]" },
    { rule: "secret_assignment", text: "export GITHUB_TOKEN=$(gh auth token)" },
    { rule: "secret_assignment", text: "echo token=ok;ls; password=abc;export X=1" },
    { rule: "secret_assignment", text: "docker build --secret id=npmrc,src=$HOME/.npmrc ." },
    { rule: "secret_assignment", text: "./deploy --master-key config/master.key" },
    { rule: "secret_assignment", text: "self.password = PasswordHasherFactory" },
    { rule: "aws_access_key_id", text: "const REGION_ASIAPACIFICSOUTHEAST = 1;" },
    // Messages about a password, in any language, hints and patterns included.
    { rule: "secret_assignment", text: '{"password": "Введите ваш пароль ещё раз"}' },
    { rule: "secret_assignment", text: "password: 'Use 8+ chars incl. A-Z, a-z, 0-9'" },
    { rule: "secret_assignment", text: '"password": "stored in 1Password"' },
    { rule: "secret_assignment", text: 'password = "must match ^[a-z0-9]{8,}$ regex"' },
    { rule: "high_entropy", text: `fix the token refresh (commit ${hex40})` },
    { rule: "high_entropy", text: `secret ${uuid} is a request id` },
    { rule: "high_entropy", text: "token recordPreparedThenUpdateTheSession and TOKEN_LIMIT_2048" },
    { rule: "high_entropy", text: `the key image: ${image}` },
    { rule: "high_entropy", text: "tokens used: 123456789012345678901234" },
  ];
}
