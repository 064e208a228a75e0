// Types of the `nango` module that Patchbay functions import, in the shape
// of Nango's function format (createAction / createSync / createOnEvent with
// zod schemas). Every member declared here exists in Patchbay's runtime, so
// `tsc --noEmit` passing means the function only uses what Patchbay runs.
//
// Patchbay writes this file into a project (.patchbay/nango.d.ts) and the
// project's tsconfig.json maps "nango" to it. The schema types come from the
// `zod` package (v4), installed as a dev dependency for its types only: at
// run time `zod` is Patchbay's own implementation.

import type * as z from 'zod';

type Awaitable<T> = T | Promise<T>;

/** The output type of schema S, or D when no schema was given. */
type OutputOf<S, D> = S extends z.ZodType ? z.infer<S> : D;

/** A JSON object, the type of metadata and checkpoints without a schema. */
export type JsonObject = Record<string, any>;

export type HttpMethod =
    | 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'
    | 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options';

// ─── Requests ───────────────────────────────────────────────────────────────

/** What on_page is told after each page, as in Nango. */
export interface PaginationPageState {
    /** The cursor or link that leads on (none after the last page), or an offset run's offset of this page. */
    nextPageParam?: string | number;
    /** The provider's answer to the page. */
    response: ProxyResponse;
}

/** Called after each page (not after an offset run's short last page). */
export type OnPage = (state: PaginationPageState) => unknown;

/** Pagination that sends back the cursor each page's answer holds. */
export interface CursorPagination {
    type: 'cursor';
    /** Where the next cursor is in the answer, e.g. "paging.next.after". */
    cursor_path_in_response: string;
    /** The query parameter (or body field) the cursor goes in. */
    cursor_name_in_request: string;
    limit_name_in_request?: string;
    /** Where the records are in the answer, e.g. "results". */
    response_path?: string;
    /** Records per page, sent as limit_name_in_request. */
    limit?: number;
    on_page?: OnPage;
}

/** Pagination that follows a next link (Link header or body field). */
export interface LinkPagination {
    type: 'link';
    /** The Link header relation to follow, e.g. "next". */
    link_rel_in_response_header?: string;
    /** Where the next link is in the answer's body. */
    link_path_in_response_body?: string;
    limit_name_in_request?: string;
    response_path?: string;
    limit?: number;
    on_page?: OnPage;
}

/** Pagination by an offset that grows with each page. */
export interface OffsetPagination {
    type: 'offset';
    offset_name_in_request: string;
    offset_start_value?: number;
    offset_calculation_method?: 'by-response-size' | 'per-page';
    limit_name_in_request?: string;
    response_path?: string;
    limit?: number;
    on_page?: OnPage;
}

/**
 * A function's pagination settings: merged field by field over the
 * provider's defaults (its catalog entry's proxy.paginate), so often only
 * `limit` is needed.
 */
export type Pagination = Partial<CursorPagination> | Partial<LinkPagination> | Partial<OffsetPagination>;

export type ParamValue = string | number | boolean | null | undefined | ReadonlyArray<string | number>;

/** A request to the provider, made with the connection's credentials. */
export interface ProxyConfiguration {
    /** The path after the provider's base URL, e.g. "/repos/octocat/hello-world/issues". */
    endpoint: string;
    method?: HttpMethod;
    headers?: Record<string, string | number | boolean>;
    /** Query parameters; arrays are sent comma-separated, null and undefined left out. */
    params?: string | Record<string, ParamValue>;
    /** The body: an object or array is sent as JSON, a string as is. */
    data?: unknown;
    /** How many times to retry a failed request (with backoff). */
    retries?: number;
    /** More statuses to retry besides 429 and 5xx. */
    retryOn?: number[];
    baseUrlOverride?: string;
    decompress?: boolean;
    responseType?: 'json' | 'text' | 'arraybuffer';
    /** Pagination settings for nango.paginate. */
    paginate?: Pagination;
    /** Must name the function's own connection when set. */
    providerConfigKey?: string;
    /** Must name the function's own connection when set. */
    connectionId?: string;
}

/** A provider's answer (axios' response shape). */
export interface ProxyResponse<T = any> {
    data: T;
    status: number;
    statusText: string;
    /** Header names are lower-case. */
    headers: Record<string, string>;
    config: ProxyConfiguration;
}

/** The name Nango's templates use for a response. */
export type AxiosResponse<T = any> = ProxyResponse<T>;

/**
 * What the request methods throw for a status of 400 or more (axios'
 * error shape): `error.response.status`, `error.response.data`.
 */
export interface ProxyError<T = any> extends Error {
    name: 'AxiosError';
    code: 'ERR_BAD_REQUEST' | 'ERR_BAD_RESPONSE';
    status: number;
    response: ProxyResponse<T>;
    config: ProxyConfiguration;
}

// ─── Connections ────────────────────────────────────────────────────────────

/** A connection's credentials; which fields are set depends on the auth mode. */
export interface Credentials {
    type: string;
    access_token?: string;
    refresh_token?: string;
    expires_at?: string;
    apiKey?: string;
    username?: string;
    password?: string;
    raw?: JsonObject;
    [key: string]: any;
}

/** What nango.getConnection() returns. */
export interface Connection<TMetadata = JsonObject> {
    id: number;
    connection_id: string;
    provider_config_key: string;
    provider: string;
    connection_config: JsonObject;
    metadata: TMetadata | null;
    credentials: Credentials;
    created_at: string;
    updated_at: string;
    [key: string]: any;
}

export interface EnvironmentVariable {
    name: string;
    value: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

// ─── The nango object ───────────────────────────────────────────────────────

/** The object an action's exec receives (and the base of a sync's). */
export interface NangoAction<TMetadata = JsonObject> {
    readonly connectionId: string;
    readonly providerConfigKey: string;
    readonly provider: string;
    readonly environmentName?: string;
    /** The sync variant, "base" unless one was created. */
    readonly variant: string;
    readonly ActionError: typeof ActionError;

    proxy<T = any>(config: ProxyConfiguration): Promise<ProxyResponse<T>>;
    get<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
    post<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
    put<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
    patch<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
    delete<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
    /**
     * Yields the records of each page, following the provider's pagination
     * (its defaults merged under `config.paginate`):
     * `for await (const page of nango.paginate<Issue>({ endpoint })) { … }`.
     */
    paginate<T = any>(config: ProxyConfiguration): AsyncGenerator<T[], void, undefined>;

    /** The connection, credentials included. */
    getConnection(providerConfigKey?: string, connectionId?: string): Promise<Connection<TMetadata>>;
    /** The access token (OAuth), the key (API_KEY), or {username, password} (BASIC). */
    getToken(): Promise<string | { username: string; password: string } | JsonObject>;
    getMetadata<T = TMetadata>(): Promise<T>;
    /** Replaces the connection's metadata. */
    setMetadata(metadata: TMetadata): Promise<void>;
    /** Merges into the connection's metadata. */
    updateMetadata(metadata: Partial<TMetadata>): Promise<void>;
    getEnvironmentVariables(): Promise<EnvironmentVariable[] | null>;
    /** A plain request to any URL allowed by the server's outbound policy, without the connection's credentials or retries. */
    uncontrolledFetch(options: { url: URL | string; method?: string; headers?: Record<string, string>; body?: string | null }): Promise<{
        ok: boolean; status: number; statusText: string; url: string; headers: { get(name: string): string | null; has(name: string): boolean };
        text(): Promise<string>; json<T = any>(): Promise<T>; arrayBuffer(): Promise<ArrayBuffer>; bytes(): Promise<Uint8Array>;
    }>;
    /** Parses input with zodSchema: its safeParse result, or each issue logged and an ActionError thrown. */
    zodValidateInput<T = any, Z = any>(args: { zodSchema: z.ZodType<Z>; input: T }): Promise<{ success: true; data: Z }>;

    /** Takes a named lock shared by every execution; false when held. */
    tryAcquireLock(options: { key: string; ttlMs: number }): Promise<boolean>;
    tryAcquireLock(key: string, ttlMs?: number): Promise<boolean>;
    releaseLock(options: { key: string }): Promise<boolean>;
    releaseLock(key: string): Promise<boolean>;
    releaseAllLocks(): Promise<void>;

    /** Logs a line; a last argument {level} sets its level (default info). */
    log(...args: unknown[]): void;
}

/** The object a sync's exec receives. */
export interface NangoSync<
    TModels extends Record<string, z.ZodType> = Record<string, z.ZodType>,
    TMetadata = JsonObject,
    TCheckpoint = JsonObject,
> extends NangoAction<TMetadata> {
    /** When the previous run succeeded; undefined on a first run. */
    readonly lastSyncDate?: Date;
    readonly syncId?: string;

    /** Saves (creates or replaces) records of a model. */
    batchSave<K extends keyof TModels & string>(records: Array<z.infer<TModels[K]>>, model: K): Promise<boolean>;
    /** Updates records of a model, merging the fields given. */
    batchUpdate<K extends keyof TModels & string>(records: Array<Partial<z.infer<TModels[K]>>>, model: K): Promise<boolean>;
    /** Marks records of a model deleted (only their ids are needed). */
    batchDelete<K extends keyof TModels & string>(records: Array<Partial<z.infer<TModels[K]>> & { id: string | number }>, model: K): Promise<boolean>;
    /** Starts a full refresh: records not saved before trackDeletesEnd are deleted. */
    trackDeletesStart<K extends keyof TModels & string>(model: K): Promise<void>;
    trackDeletesEnd<K extends keyof TModels & string>(model: K): Promise<void>;
    deleteRecordsFromPreviousExecutions<K extends keyof TModels & string>(model: K): Promise<unknown>;
    /** The stored (not deleted) records of a model with these ids, by id. */
    getRecordsByIds<K extends keyof TModels & string>(ids: Array<string | number>, model: K): Promise<Map<string, z.infer<TModels[K]>>>;
    /** The model's stored records (with _nango_metadata), a page at a time from options.cursor. */
    listRecords<K extends keyof TModels & string>(model: K, options?: { cursor?: string }): AsyncGenerator<z.infer<TModels[K]> & { _nango_metadata?: JsonObject }>;
    /** With ignore_if_modified_after_cursor, later saves leave alone records another writer changed since this run last wrote. */
    setMergingStrategy<K extends keyof TModels & string>(merging: { strategy: 'override' | 'ignore_if_modified_after_cursor' }, model: K): Promise<void>;

    /** The checkpoint the previous run saved, null when none. */
    getCheckpoint(): Promise<TCheckpoint | null>;
    /** Saves where the sync got to; the next run resumes from it. */
    saveCheckpoint(checkpoint: TCheckpoint): Promise<void>;
    clearCheckpoint(): Promise<void>;
}

// ─── Definitions ────────────────────────────────────────────────────────────

export interface Endpoint {
    method: HttpMethod;
    path: string;
    group?: string;
}

export interface CreateActionProps<
    TInput extends z.ZodType,
    TOutput extends z.ZodType,
    TMetadata extends z.ZodType | undefined = undefined,
> {
    description?: string;
    version?: string;
    endpoint?: Endpoint;
    /** The input's schema: input is validated before exec runs. */
    input: TInput;
    /** The output's schema: what exec returns is validated against it. */
    output: TOutput;
    /** The connection metadata's schema. */
    metadata?: TMetadata;
    scopes?: string[];
    exec: (nango: NangoAction<OutputOf<TMetadata, JsonObject>>, input: z.infer<TInput>) => Awaitable<z.infer<TOutput>>;
}

export type ActionDefinition<
    TInput extends z.ZodType = z.ZodType,
    TOutput extends z.ZodType = z.ZodType,
    TMetadata extends z.ZodType | undefined = undefined,
> = CreateActionProps<TInput, TOutput, TMetadata> & { readonly type: 'action' };

export interface CreateSyncProps<
    TModels extends Record<string, z.ZodType>,
    TMetadata extends z.ZodType | undefined = undefined,
    TCheckpoint extends z.ZodType | undefined = undefined,
> {
    description?: string;
    version?: string;
    /** How often it runs, e.g. "every hour", "every 5 minutes", "every day". */
    frequency?: string;
    /** Start for each new connection (default true). */
    autoStart?: boolean;
    syncType?: 'full' | 'incremental';
    endpoints?: Endpoint[];
    /** Delete records a full run did not save. */
    trackDeletes?: boolean;
    scopes?: string[];
    webhookSubscriptions?: string[];
    /** The records' schemas by model name. */
    models: TModels;
    /** The connection metadata's schema. */
    metadata?: TMetadata;
    /** The checkpoint's schema. */
    checkpoint?: TCheckpoint;
    exec: (nango: NangoSync<TModels, OutputOf<TMetadata, JsonObject>, OutputOf<TCheckpoint, JsonObject>>) => Promise<void>;
    /** Handles a webhook from the provider routed to this sync. */
    onWebhook?: (nango: NangoSync<TModels, OutputOf<TMetadata, JsonObject>, OutputOf<TCheckpoint, JsonObject>>, payload: any) => Promise<unknown>;
}

export type SyncDefinition<
    TModels extends Record<string, z.ZodType> = Record<string, z.ZodType>,
    TMetadata extends z.ZodType | undefined = undefined,
    TCheckpoint extends z.ZodType | undefined = undefined,
> = CreateSyncProps<TModels, TMetadata, TCheckpoint> & { readonly type: 'sync' };

export type OnEvent = 'post-connection-creation' | 'pre-connection-deletion' | 'validate-connection';

export interface CreateOnEventProps<TMetadata extends z.ZodType | undefined = undefined> {
    description?: string;
    version?: string;
    event: OnEvent;
    metadata?: TMetadata;
    exec: (nango: NangoAction<OutputOf<TMetadata, JsonObject>>) => Promise<void>;
}

export type OnEventDefinition<TMetadata extends z.ZodType | undefined = undefined> = CreateOnEventProps<TMetadata> & {
    readonly type: 'on-event';
};

/** Defines an action: `export default createAction({ input, output, exec })`. */
export declare function createAction<
    TInput extends z.ZodType,
    TOutput extends z.ZodType,
    TMetadata extends z.ZodType | undefined = undefined,
>(definition: CreateActionProps<TInput, TOutput, TMetadata>): ActionDefinition<TInput, TOutput, TMetadata>;

/** Defines a sync: `export default createSync({ models, exec })`. */
export declare function createSync<
    TModels extends Record<string, z.ZodType>,
    TMetadata extends z.ZodType | undefined = undefined,
    TCheckpoint extends z.ZodType | undefined = undefined,
>(definition: CreateSyncProps<TModels, TMetadata, TCheckpoint>): SyncDefinition<TModels, TMetadata, TCheckpoint>;

/** Defines a handler of a connection event. */
export declare function createOnEvent<TMetadata extends z.ZodType | undefined = undefined>(
    definition: CreateOnEventProps<TMetadata>,
): OnEventDefinition<TMetadata>;

/**
 * Thrown by a function to fail with a payload of its choosing: the caller
 * receives the payload as is (Nango's action_error).
 */
export declare class ActionError<T = JsonObject> extends Error {
    readonly type: 'action_error';
    readonly payload: T;
    constructor(payload?: T);
}

declare const nango: {
    createAction: typeof createAction;
    createSync: typeof createSync;
    createOnEvent: typeof createOnEvent;
    ActionError: typeof ActionError;
};
export default nango;

// ─── Globals the sandbox provides ───────────────────────────────────────────

declare global {
    /** console.* goes to the execution's logs. */
    interface Console {
        log(...args: any[]): void;
        info(...args: any[]): void;
        debug(...args: any[]): void;
        warn(...args: any[]): void;
        error(...args: any[]): void;
    }
    var console: Console;
}
