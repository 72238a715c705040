import type { ApolloServerOptionsWithGateway, BaseContext } from "@apollo/server";
import { BREAK, execute, GraphQLError, Kind, visit, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";

/*
 * Compiled execution (graphql-jit, as Mercurius uses). graphql-js interprets the document
 * for every request: it collects fields, coerces arguments and walks the result type by
 * type. graphql-jit turns an operation into a JavaScript function once, and later requests
 * only run it. Apollo keeps everything else (parsing and validation, with their cache,
 * the plugins, cache-control hints, error formatting): it runs a custom executor through
 * its gateway interface, given the same validated document it would have executed.
 *
 * The resolvers are the schema's own, wrapped by Apollo as for graphql-js, so plugins that
 * watch fields (cache control) see every field as before.
 *
 * An operation is compiled the second time it is seen. A client sends the same few
 * operations again and again, while a caller that made up a new document for every
 * request would otherwise buy a compilation (more work than one interpreted run) each time.
 *
 * Only documents whose arguments are variables or plain scalars are compiled (see
 * `compilable`). graphql-jit writes literal argument values into the source of the
 * function it generates, and turns a string of a certain shape into code there: a string
 * literal in a query could run JavaScript on the server. It also sets a variable left out
 * inside an object literal to null where graphql-js leaves the field out (which would
 * turn "keep" into "remove" in an update). Clients send their values as variables anyway.
 *
 * Where graphql-jit reports errors differently (it runs every sibling of a field whose
 * error nulls their parent and reports them all, and its errors lack `extensions`), a
 * query with errors is run again in graphql-js, which answers as it always has: a query
 * only reads. A mutation is never run twice; its errors are made graphql-js errors.
 */

/** Operations kept compiled; the least recently used one goes first. */
const MAX_COMPILED = 500;

/** Sightings remembered of operations not compiled yet (one each): a bounded set too. */
const MAX_SEEN_ONCE = 2_000;

type Compiled = CompiledQuery | "not-compilable";

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>["gateway"];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface["load"]>>["executor"]>;

export interface CompiledExecutionStats {
  compiled: number;
  interpreted: number;
}

export interface CompiledExecution {
  gateway: GatewayInterface;
  /** Counts of executions by path since start (tests check both are used). */
  stats: CompiledExecutionStats;
}

/**
 * Whether graphql-jit may compile the document: no string, object or list literal
 * anywhere (arguments, directives, variable defaults). What a client writes then reaches
 * the generated code only as GraphQL names and numbers, which the parser has already
 * held to their grammar.
 */
export function compilable(document: DocumentNode): boolean {
  let safe = true;
  visit(document, {
    enter(node) {
      if (node.kind === Kind.STRING || node.kind === Kind.OBJECT || node.kind === Kind.LIST) {
        safe = false;
        return BREAK;
      }
      return undefined;
    },
  });
  return safe;
}

/** graphql-jit's errors as graphql-js makes them: Apollo's error formatting reads `extensions`. */
function asGraphqlJsError(error: GraphQLError): GraphQLError {
  if (error.extensions !== undefined && error instanceof GraphQLError) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, originalError: error.originalError ?? undefined, extensions: error.extensions ?? undefined });
}

/** A Map used as an LRU: re-inserting an entry moves it to the end; the first is the oldest. */
function touch<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

/** `enabled: false` (GRAPHQL_JIT=off): every operation runs in graphql-js, as without a gateway. */
export function compiledExecution(schema: GraphQLSchema, enabled = true): CompiledExecution {
  const compiled = new Map<string, Compiled>();
  const seenOnce = new Map<string, true>();
  const stats: CompiledExecutionStats = { compiled: 0, interpreted: 0 };

  const interpret = (document: DocumentNode, operationName: string | null, context: unknown, variables: Record<string, unknown> | undefined) => {
    stats.interpreted++;
    return execute({ schema, document, operationName, contextValue: context, variableValues: variables }) as Promise<ExecutionResult> | ExecutionResult;
  };

  const executor: GatewayExecutor = async (request) => {
    const { document, context, queryHash } = request;
    // The name the client sent: Apollo's resolved operationName is null when it names none.
    const operationName = request.request.operationName ?? null;
    const variables = request.request.variables;
    // Off, or no operation to run (an unknown operationName, or several operations and none named):
    // graphql-js says which, and Apollo answers 400 with it.
    if (!enabled || !request.operation) return interpret(document, operationName, context, variables);
    // The hash is of the query text; the same text may hold several operations.
    const key = `${queryHash}:${operationName ?? ""}`;
    let entry = compiled.get(key);
    if (entry === undefined) {
      if (!seenOnce.has(key)) {
        touch(seenOnce, key, true, MAX_SEEN_ONCE);
        return interpret(document, operationName, context, variables);
      }
      seenOnce.delete(key);
      const result = compilable(document) ? compileQuery(schema, document, operationName ?? undefined, { disableLeafSerialization: false, customJSONSerializer: false }) : null;
      // A document graphql-jit cannot (or may not) compile is run by graphql-js.
      entry = result && isCompiledQuery(result) ? result : "not-compilable";
    }
    touch(compiled, key, entry, MAX_COMPILED);
    if (entry === "not-compilable") return interpret(document, operationName, context, variables);
    stats.compiled++;
    const result = await entry.query(undefined, context, variables);
    if (!result.errors?.length) return result;
    // Errors are graphql-js's to report (see the top of this file). With no data at all the
    // variables were refused before anything ran: graphql-jit words that without the
    // scalar's reason, in a shape Apollo does not take for BAD_USER_INPUT. A query only
    // reads, so running it again is safe; a mutation that ran keeps its result.
    if (result.data === undefined || request.operation.operation === "query") return interpret(document, operationName, context, variables);
    return { ...result, errors: result.errors.map(asGraphqlJsError) };
  };

  const gateway: GatewayInterface = {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: "" });
      return () => {};
    },
    async load() {
      return { executor };
    },
    async stop() {},
  };
  return { gateway, stats };
}
