import { Injectable } from '@nestjs/common';
import { PassportAuthentication } from 'nestjs-warden';
import { BasicStrategy } from 'passport-http';
import { UsersService } from '../users/users.service.js';

/** HTTP Basic through passport-http: an injectable backend, registered by class. */
@Injectable()
export class BasicAuthentication extends PassportAuthentication {
  constructor(users: UsersService) {
    super(
      new BasicStrategy((username, password, done) => {
        users.verifyPassword(username, password).then(
          (user) => done(null, user === null ? false : users.toPublic(user)),
          (error: unknown) => done(error),
        );
      }),
      { name: 'basic', openApi: { type: 'http', scheme: 'basic' } },
    );
  }
}
