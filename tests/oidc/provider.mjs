// A real OpenID Connect provider (panva's oidc-provider, from npm) on loopback, for the single
// sign-on tests: one confidential client, and accounts whose claims come from OIDC_ACCOUNTS
// (login -> {email, email_verified, name}). Its own development login and consent pages take
// any password; the tests drive them in Chromium as a person would.
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || "{}");
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code"],
    response_types: ["code"],
  }],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["a key for this test provider only"] },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, ...(accounts[id] || {}) }; } };
  },
});

provider.listen(Number(port), "127.0.0.1", () => console.log(`issuer ${issuer} ready`));
