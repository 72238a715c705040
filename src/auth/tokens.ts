import { createHash, randomBytes } from "node:crypto";

/*
 * Every key and token is a random secret with a readable prefix; only its SHA-256 is
 * stored. The secrets carry 192 bits of entropy, so a fast hash is enough: there is
 * nothing to brute-force that a slow hash would protect.
 */
export const tokenPrefixes = {
  adminKey: "ak_",
  publishableKey: "pk_",
  secretKey: "sk_",
  manageToken: "mt_",
  signInLink: "sl_",
  session: "st_",
  newsletterConfirm: "nc_",
  newsletterUnsubscribe: "nu_",
} as const;

export type TokenKind = keyof typeof tokenPrefixes;

export function newToken(kind: TokenKind): string {
  return tokenPrefixes[kind] + randomBytes(24).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export const MAX_TOKEN_LENGTH = 200;

/**
 * What a bearer credential may consist of (RFC 6750's b64token). Our own tokens are
 * base64url; an operator's ADMIN_API_KEY may use any of these characters.
 */
export const BEARER_TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Prefixes the authenticator resolves as registrant credentials, in their own tables. */
export const registrantCredentialPrefixes = [tokenPrefixes.manageToken, tokenPrefixes.session] as const;

/** Tokens that are never bearer credentials: they are spent through their own mutations. */
export const linkOnlyPrefixes = [tokenPrefixes.signInLink, tokenPrefixes.newsletterConfirm, tokenPrefixes.newsletterUnsubscribe] as const;

/** Every prefix the authenticator answers without looking at api_keys: an admin key may not start with one. */
export const prefixesNotLookedUpAsKeys = [...registrantCredentialPrefixes, ...linkOnlyPrefixes] as const;
