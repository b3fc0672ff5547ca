import { Injectable } from '@nestjs/common';
import bcrypt from 'bcryptjs';
import type { AuthUser, RequestContext } from 'nestjs-warden';

/** A sample user as the store keeps it. */
export interface User extends AuthUser {
  id: number;
  username: string;
  roles: string[];
  passwordHash: string;
  active: boolean;
}

/** What the app shows of a user: everything but the password hash. */
export type PublicUser = Omit<User, 'passwordHash'>;

/**
 * Demo users (in memory). Passwords are hashed with bcrypt, as a real store would keep them.
 * `roles` (an `AuthUser` field) go into the tokens `TokenService` issues, as the `roles` claim.
 */
const SEED: Array<Omit<User, 'passwordHash'> & { password: string }> = [
  {
    id: 1,
    username: 'alice',
    password: 'alice-password',
    isStaff: true,
    isSuperuser: true,
    permissions: ['reports:read', 'reports:write'],
    roles: ['admin'],
    active: true,
  },
  {
    id: 2,
    username: 'bob',
    password: 'bob-password',
    isStaff: false,
    isSuperuser: false,
    permissions: ['reports:read'],
    roles: ['clerk'],
    active: true,
  },
  { id: 3, username: 'carol', password: 'carol-password', isStaff: false, isSuperuser: false, permissions: [], roles: [], active: true },
];

/** The user store: password checks, look-ups, and the `userLoader` the module calls. */
@Injectable()
export class UsersService {
  private readonly users: User[] = SEED.map(({ password, ...user }) => ({ ...user, passwordHash: bcrypt.hashSync(password, 10) }));

  /** The user whose credentials match, or null (compares against a dummy hash when the name is unknown, to keep timing flat). */
  async verifyPassword(username: string, password: string): Promise<User | null> {
    const user = this.users.find((candidate) => candidate.username === username);
    const ok = await bcrypt.compare(password, user?.passwordHash ?? DUMMY_HASH);
    return ok && user !== undefined && user.active ? user : null;
  }

  findById(id: string | number | null): User | null {
    return this.users.find((user) => String(user.id) === String(id) && user.active) ?? null;
  }

  /** The userLoader: the public view of the user behind a request context. */
  async load(context: RequestContext): Promise<PublicUser | null> {
    const user = this.findById(context.userId);
    return user === null ? null : this.toPublic(user);
  }

  /** A user without its password hash. */
  toPublic(user: User): PublicUser {
    const { passwordHash: _hash, ...publicUser } = user;
    return publicUser;
  }
}

const DUMMY_HASH = bcrypt.hashSync('not-a-real-password', 10);
