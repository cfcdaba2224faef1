/**
 * Routes of api.md that the API is gaining on another branch and that the generated schema does
 * not hold yet. Typed by hand from api.md; delete each entry once `npm run gen:api` produces it.
 */
export interface Person {
  id: string;
  name: string;
  email: string;
}

export interface PendingPaths {
  "/people": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: {
        query?: { ids?: string; limit?: number; cursor?: string };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        200: {
          headers: { [name: string]: unknown };
          content: { "application/json": { items: Person[]; next_cursor: string | null } };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
