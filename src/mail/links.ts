import type { Config } from "../config.js";

/*
 * Every link an email carries. MANAGE_URL and SIGN_IN_URL are templates with a {token}
 * placeholder so partner sites and apps can point them at their own pages; the tokens
 * are URL-safe (base64url) but are encoded anyway in case a template puts them in a path.
 */

function fill(template: string, token: string): string {
  return template.replace("{token}", encodeURIComponent(token));
}

/** The page where the registrant sees, cancels or asks about their booking. */
export function manageLink(config: Config, manageToken: string): string {
  return fill(config.manageUrl, manageToken);
}

/** A sign-in link carrying a single-use token from requestSignInLink. */
export function signInLink(config: Config, signInToken: string): string {
  return fill(config.signInUrl, signInToken);
}

/**
 * The sign-in page without a token, for emails that carry no manage token of their own
 * (none is minted for a recipient other than the registrant): it asks for the address and
 * mails a sign-in link. What an empty placeholder leaves dangling ("#", "?token=") is dropped.
 */
export function signInPage(config: Config): string {
  return config.signInUrl.replace("{token}", "").replace(/(?:[?&][\w-]+=|[#?])$/, "");
}

/** Double opt-in and unsubscribe pages for the newsletter, served under PUBLIC_URL. */
export function newsletterLinks(config: Config, tokens: { confirmToken?: string; unsubscribeToken?: string }): { confirm: string | null; unsubscribe: string | null } {
  return {
    confirm: tokens.confirmToken ? `${config.publicUrl}/newsletter/confirm#${encodeURIComponent(tokens.confirmToken)}` : null,
    unsubscribe: tokens.unsubscribeToken ? `${config.publicUrl}/newsletter/unsubscribe#${encodeURIComponent(tokens.unsubscribeToken)}` : null,
  };
}

/** The admin IDE, for emails to the event's contact that ask them to act. */
export function adminConsoleLink(config: Config): string {
  return `${config.publicUrl}/graphql`;
}
