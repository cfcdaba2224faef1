/**
 * The signed-in session: the access token, held in memory and mirrored in sessionStorage so that
 * a reload keeps it (a new tab or a closed browser does not). Components read it through
 * useSession(); the API client reads it through getToken().
 */
import { useSyncExternalStore } from "react";

const STORAGE_KEY = "idp.portal.token";
export const EXPIRED_NOTICE = "Your session has expired — sign in again";
export const PASSWORD_CHANGED_NOTICE = "Your password was changed — sign in again with the new one";

interface SessionState {
  token: string | null;
  /** Shown on the sign-in page after the API refused the token (expired, revoked). */
  notice: string | null;
}

function readStoredToken(): string | null {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

let state: SessionState = { token: readStoredToken(), notice: null };
const listeners = new Set<() => void>();

function update(next: SessionState): void {
  state = next;
  try {
    if (next.token) window.sessionStorage.setItem(STORAGE_KEY, next.token);
    else window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage unavailable (private mode quotas): the in-memory token still works for this page.
  }
  listeners.forEach((listener) => listener());
}

export const getToken = (): string | null => state.token;

export function startSession(token: string): void {
  update({ token, notice: null });
}

/** Sign-out: the token is forgotten everywhere; `notice` is shown on the sign-in page. */
export function endSession(notice: string | null = null): void {
  update({ token: null, notice });
}

/** The API said 401 to a signed-in call: forget the token and tell the person why. */
export function expireSession(): void {
  if (state.token === null) return;
  update({ token: null, notice: EXPIRED_NOTICE });
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): SessionState {
  return useSyncExternalStore(subscribe, () => state);
}

/** For tests: start from a clean, signed-out session. */
export function resetSessionForTests(token: string | null = null): void {
  update({ token, notice: null });
}
