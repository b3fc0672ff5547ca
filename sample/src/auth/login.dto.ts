import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * The login body: JSON `{ username, password }`, or the OAuth2 password-grant form Swagger UI's
 * Authorize posts (`grant_type=password&username=…&password=…`, RFC 6749 §4.3). Validated by
 * `ValidationPipe` (registered in AppModule): a missing field, an array, or a body that is not
 * JSON or a form is a 400 that names the field, before any password is compared.
 */
export class LoginDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(150)
  username!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  password!: string;

  /** Checked in the handler, to answer RFC 6749's `unsupported_grant_type`. */
  @IsOptional()
  @IsString()
  grant_type?: string;
}

/** The refresh body of the bearer flow. */
export class RefreshDto {
  @IsString()
  @IsNotEmpty()
  refresh_token!: string;
}

/** `POST /auth/logout-all`'s optional body: `{ "others": true }` keeps this login ("log out my other devices"). */
export class LogoutAllDto {
  @IsOptional()
  @IsBoolean()
  others?: boolean;
}
