import { Directive, Field, Float, Int, ObjectType } from "type-graphql";
import { catalogueHint, partOfParentHint } from "../../cache/cache-hints.js";
import { PageInfo } from "../../common/connection.js";
import type { venues } from "../../db/schema.js";
import { TimeZoneScalar, URLScalar } from "../../common/scalars.js";
import { Node } from "../node/node.type.js";

export type VenueRow = typeof venues.$inferSelect;

@ObjectType()
@Directive(partOfParentHint)
export class Address {
  @Field(() => String)
  line1!: string;

  @Field(() => String, { nullable: true })
  line2!: string | null;

  @Field(() => String)
  city!: string;

  @Field(() => String, { nullable: true })
  region!: string | null;

  @Field(() => String, { nullable: true })
  postalCode!: string | null;

  @Field(() => String, { description: "Country name or ISO 3166 code, as entered." })
  country!: string;
}

@ObjectType({ description: "What the venue states about access for disabled people." })
@Directive(partOfParentHint)
export class Accessibility {
  @Field(() => Boolean, { description: "The venue states it complies with the Americans with Disabilities Act." })
  adaCompliant!: boolean;

  @Field(() => Boolean, { nullable: true })
  wheelchairAccessible!: boolean | null;

  @Field(() => Boolean, { nullable: true })
  stepFreeEntrance!: boolean | null;

  @Field(() => Boolean, { nullable: true })
  accessibleRestrooms!: boolean | null;

  @Field(() => Boolean, { nullable: true })
  accessibleParking!: boolean | null;

  @Field(() => Boolean, { nullable: true })
  hearingLoop!: boolean | null;

  @Field(() => String, { nullable: true })
  notes!: string | null;

  @Field(() => URLScalar, { nullable: true })
  infoUrl!: string | null;
}

@ObjectType({ implements: Node })
@Directive(catalogueHint)
export class Venue extends Node {
  @Field(() => String)
  name!: string;

  @Field(() => Address)
  address!: Address;

  @Field(() => TimeZoneScalar)
  timeZone!: string;

  @Field(() => Float, { nullable: true })
  latitude!: number | null;

  @Field(() => Float, { nullable: true })
  longitude!: number | null;

  @Field(() => URLScalar, { nullable: true })
  mapUrl!: string | null;

  @Field(() => Accessibility)
  accessibility!: Accessibility;
}

@ObjectType()
@Directive(partOfParentHint)
export class VenueEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Venue)
  node!: Venue;
}

@ObjectType()
@Directive(catalogueHint)
export class VenueConnection {
  @Field(() => [VenueEdge])
  edges!: VenueEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

/** The GraphQL shape of a stored venue. */
export function toVenue(row: VenueRow): Venue {
  return {
    id: row.id,
    name: row.name,
    address: { line1: row.line1, line2: row.line2, city: row.city, region: row.region, postalCode: row.postalCode, country: row.country },
    timeZone: row.timeZone,
    latitude: row.latitude,
    longitude: row.longitude,
    mapUrl: row.mapUrl,
    accessibility: {
      adaCompliant: row.adaCompliant,
      wheelchairAccessible: row.wheelchairAccessible,
      stepFreeEntrance: row.stepFreeEntrance,
      accessibleRestrooms: row.accessibleRestrooms,
      accessibleParking: row.accessibleParking,
      hearingLoop: row.hearingLoop,
      notes: row.accessibilityNotes,
      infoUrl: row.accessibilityInfoUrl,
    },
  };
}
