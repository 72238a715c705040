import type { ApolloServerPlugin } from "@apollo/server";
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  type ValueNode,
} from "graphql";
import { MAX_PAGE_SIZE } from "../common/connection.js";

/*
 * Limits on the shape of a query, all checked before any resolver runs (README "Limits").
 * graphql-armor enforces depth, aliases, directives and tokens while parsing and
 * validating. Cost is computed here instead, once the operation and its variables are
 * known: armor's cost rule reads page sizes only from literals, so `first: $n` would let
 * a nested query of 100 × 100 × 100 items through. Introspection is left to graphql-js,
 * whose MaxIntrospectionDepthRule refuses `fields { type { fields { type { fields …`.
 */
export const queryLimits = {
  /** Field nesting; fragments count one level each. 12 covers registration → event → sessions → venue → accessibility with room. */
  depth: 12,
  /** Aliased fields per operation: enough for side-by-side comparisons, not for a brute-force batch in one request. */
  aliases: 15,
  directives: 20,
  /** Lexical tokens per document: the IDE's introspection query has under 200, a long admin mutation with literal inputs under 1,000. */
  tokens: 3_000,
  /**
   * Estimated field resolutions (see estimateQueryCost). 100 events with every field a
   * listing page could show (venue, sessions, partners, criteria…) estimate at 30,000;
   * 100 events × their partners × 100 events each at 400,000.
   */
  cost: 50_000,
} as const;

/** Assumed size of a list field without a `first` argument (sessions, partners, objectives…). */
export const NOMINAL_LIST_SIZE = 10;

type Variables = Record<string, unknown> | undefined;

interface CostWalk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Variables;
  /** Cost of one expansion of a fragment (with multiplier 1): a fragment used a thousand times is walked once. */
  fragmentCosts: Map<string, number>;
}

function pageSizeArgument(field: GraphQLField<unknown, unknown>, nodes: readonly { name: { value: string }; value: ValueNode }[] | undefined, variables: Variables): number | null {
  const definition = field.args.find((arg) => arg.name === "first");
  if (!definition) return null;
  const node = nodes?.find((arg) => arg.name.value === "first");
  let value: unknown = definition.defaultValue;
  if (node?.value.kind === Kind.INT) value = Number(node.value.value);
  else if (node?.value.kind === Kind.VARIABLE) value = variables?.[node.value.name.value] ?? definition.defaultValue;
  if (typeof value !== "number" || !Number.isFinite(value)) return MAX_PAGE_SIZE;
  return Math.min(Math.max(Math.trunc(value), 1), MAX_PAGE_SIZE);
}

/** How many times each child of this field is resolved per resolution of the field itself. */
function childMultiplier(parent: GraphQLCompositeType, field: GraphQLField<unknown, unknown>, args: Parameters<typeof pageSizeArgument>[1], variables: Variables): number {
  const page = pageSizeArgument(field, args, variables);
  if (page !== null) return page;
  const returnsList = isListType(getNullableType(field.type));
  if (!returnsList) return 1;
  // A connection's edges/nodes were already counted by the `first` of the field that returned it.
  if (parent.name.endsWith("Connection") && (field.name === "edges" || field.name === "nodes")) return 1;
  return NOMINAL_LIST_SIZE;
}

function selectionCost(walk: CostWalk, parent: GraphQLCompositeType, selectionSet: SelectionSetNode): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name === "__schema" || name === "__type") continue; // bounded by graphql-js's MaxIntrospectionDepthRule
      if (name === "__typename") {
        cost += 1;
        continue;
      }
      const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
      if (!field) continue; // validation already reported unknown fields
      cost += 1;
      const type = getNamedType(field.type);
      if (selection.selectionSet && (isObjectType(type) || isInterfaceType(type) || "getTypes" in type)) {
        cost += childMultiplier(parent, field, selection.arguments, walk.variables) * selectionCost(walk, type as GraphQLCompositeType, selection.selectionSet);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? (walk.schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType | undefined) : parent;
      if (type) cost += selectionCost(walk, type, selection.selectionSet);
    } else {
      const name = selection.name.value;
      let fragmentCost = walk.fragmentCosts.get(name);
      if (fragmentCost === undefined) {
        const fragment = walk.fragments.get(name);
        const type = fragment ? (walk.schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined) : undefined;
        fragmentCost = fragment && type ? selectionCost(walk, type, fragment.selectionSet) : 0;
        walk.fragmentCosts.set(name, fragmentCost);
      }
      cost += fragmentCost;
    }
  }
  return cost;
}

/**
 * Estimates how many fields an operation resolves: each field costs 1, times the page
 * size (`first`, from the literal, the variable or the default) or NOMINAL_LIST_SIZE
 * of every list above it.
 */
export function estimateQueryCost(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Iterable<FragmentDefinitionNode>, variables: Variables): number {
  const walk: CostWalk = {
    schema,
    fragments: new Map([...fragments].map((fragment) => [fragment.name.value, fragment])),
    variables,
    fragmentCosts: new Map(),
  };
  const root = operation.operation === "query" ? schema.getQueryType() : operation.operation === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
  return root ? selectionCost(walk, root, operation.selectionSet) : 0;
}

function tooComplex(message: string, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "GRAPHQL_VALIDATION_FAILED", http: { status: 400 }, ...extensions } });
}

/** Names of the variables a document passes as `first`: the only ones its cost depends on. */
function pageSizeVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(node) {
      if (node.name.value === "first" && node.value.kind === Kind.VARIABLE) names.add(node.value.name.value);
    },
  });
  return [...names];
}

interface KnownCosts {
  pageSizeVariables: string[];
  fragments: FragmentDefinitionNode[];
  /** By operation, then by the page-size variables' values. */
  costs: WeakMap<OperationDefinitionNode, Map<string, number>>;
}

/** Page-size variable values a document's costs are remembered for; past it they start afresh. */
const COSTS_PER_OPERATION = 64;

/**
 * Apollo's document store hands out the same parsed document for the same query text, so
 * the cost of a document seen before is looked up rather than walked again.
 */
function costCache(): (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Variables) => number {
  const documents = new WeakMap<DocumentNode, KnownCosts>();
  return (schema, document, operation, variables) => {
    let known = documents.get(document);
    if (!known) {
      const fragments = document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION);
      known = { pageSizeVariables: pageSizeVariables(document), fragments, costs: new WeakMap() };
      documents.set(document, known);
    }
    let costs = known.costs.get(operation);
    if (!costs) {
      costs = new Map();
      known.costs.set(operation, costs);
    }
    const key = known.pageSizeVariables.length ? JSON.stringify(known.pageSizeVariables.map((name) => variables?.[name] ?? null)) : "";
    let cost = costs.get(key);
    if (cost === undefined) {
      cost = Math.round(estimateQueryCost(schema, operation, known.fragments, variables));
      if (costs.size >= COSTS_PER_OPERATION) costs.clear();
      costs.set(key, cost);
    }
    return cost;
  };
}

/** Rejects an operation whose estimated cost is over the limit, before execution. */
export function queryCostPlugin(maxCost: number = queryLimits.cost): ApolloServerPlugin {
  const costOf = costCache();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const cost = costOf(schema, document, operation, request.variables);
          if (cost > maxCost) {
            throw tooComplex(`Query cost limit of ${maxCost} exceeded, estimated ${cost}: ask for fewer items per page or fewer nested lists.`, { cost, maxCost });
          }
        },
      };
    },
  };
}

/**
 * graphql-js 17's KnownOperationTypesRule, for graphql 16: without it a `subscription`
 * (this API has none) passes validation and fails in execution as an internal error.
 */
export const knownOperationTypesRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    const schema = context.getSchema();
    const root = node.operation === "query" ? schema.getQueryType() : node.operation === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
    if (!root) context.reportError(new GraphQLError(`This API does not support ${node.operation} operations.`, { nodes: node }));
  },
});
