import { Field, Float, InputType } from "type-graphql";
import { TimeZoneScalar, URLScalar } from "../../common/scalars.js";

@InputType()
export class AddressInput {
  @Field(() => String)
  line1!: string;

  @Field(() => String, { nullable: true })
  line2?: string | null;

  @Field(() => String)
  city!: string;

  @Field(() => String, { nullable: true })
  region?: string | null;

  @Field(() => String, { nullable: true })
  postalCode?: string | null;

  @Field(() => String)
  country!: string;
}

@InputType()
export class AccessibilityInput {
  @Field(() => Boolean)
  adaCompliant!: boolean;

  @Field(() => Boolean, { nullable: true })
  wheelchairAccessible?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  stepFreeEntrance?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  accessibleRestrooms?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  accessibleParking?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  hearingLoop?: boolean | null;

  @Field(() => String, { nullable: true })
  notes?: string | null;

  @Field(() => URLScalar, { nullable: true })
  infoUrl?: string | null;
}

@InputType()
export class VenueInput {
  @Field(() => String)
  name!: string;

  @Field(() => AddressInput)
  address!: AddressInput;

  @Field(() => TimeZoneScalar)
  timeZone!: string;

  @Field(() => Float, { nullable: true })
  latitude?: number | null;

  @Field(() => Float, { nullable: true })
  longitude?: number | null;

  @Field(() => URLScalar, { nullable: true })
  mapUrl?: string | null;

  @Field(() => AccessibilityInput)
  accessibility!: AccessibilityInput;
}
