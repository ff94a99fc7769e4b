// The Sigstore JavaScript client as wasme's test peer. Sub-commands (arguments as --name value):
//   key-sign        --payload F --key PKCS8.pem --hint H --bundle OUT
//                   @sigstore/sign makes a key-based message-signature bundle (no transparency log).
//   keyless-sign    --payload F --subject URI --issuer URL --bundle OUT --trusted-root OUT [--log-offset-seconds N]
//                   @sigstore/sign against @sigstore/mock's Fulcio and Rekor (in-process, no network):
//                   a Fulcio certificate for the subject and a Rekor hashedrekord entry with its SET.
//                   --log-offset-seconds moves Rekor's clock, to log a signature after the certificate expired.
//   key-verify      --payload F --bundle F --key SPKI.pem --hint H
//                   @sigstore/verify checks a key-based bundle over the payload.
// Prints one JSON line on success; exits 1 with the error on stderr otherwise.
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const nock = require('nock');
const { initializeCA, initializeCTLog, initializeTLog, fulcioHandler, rekorHandler } = require('@sigstore/mock');
const { MessageSignatureBundleBuilder, FulcioSigner, RekorWitness } = require('@sigstore/sign');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const { bundleFromJSON, bundleToJSON } = require('@sigstore/bundle');
const { TrustedRoot, PublicKeyDetails } = require('@sigstore/protobuf-specs');

const [command, ...rest] = process.argv.slice(2);
const args = {};
for (let i = 0; i < rest.length; i += 2) args[rest[i].replace(/^--/, '')] = rest[i + 1];

const FULCIO = 'https://fulcio.mock.test';
const REKOR = 'https://rekor.mock.test';

function serve(base, handler) {
  nock(base).persist().post(handler.path).reply(async (_uri, body) => {
    const { statusCode, response, contentType } = await handler.fn(typeof body === 'string' ? body : JSON.stringify(body));
    return [statusCode, response, { 'Content-Type': contentType || 'text/plain' }];
  });
}

const b64url = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

async function keySign() {
  const payload = fs.readFileSync(args.payload);
  const privateKey = crypto.createPrivateKey(fs.readFileSync(args.key));
  const publicKey = crypto.createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
  const signer = {
    sign: async (data) => ({ signature: crypto.sign('sha256', data, privateKey), key: { $case: 'publicKey', publicKey, hint: args.hint } }),
  };
  const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses: [] }).create({ data: payload });
  fs.writeFileSync(args.bundle, JSON.stringify(bundleToJSON(bundle)));
  return { bundle: args.bundle };
}

async function keylessSign() {
  const payload = fs.readFileSync(args.payload);
  const pair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // The mock's root certificate takes the real time when it is made (X.509 keeps whole seconds), the
  // leaf and the log their clocks: set the clocks one whole second after the root exists, or a second
  // boundary in between makes the root "not yet valid" when the signature is logged.
  const now = new Date(0);
  const ctlog = await initializeCTLog(pair(), now);
  const ca = await initializeCA(pair(), ctlog, now);
  now.setTime((Math.floor(Date.now() / 1000) + 1) * 1000);
  const logged = new Date(now.getTime() + 1000 * Number(args['log-offset-seconds'] || 0));
  const tlog = await initializeTLog(REKOR, pair(), logged);
  serve(FULCIO, fulcioHandler(ca));
  serve(REKOR, rekorHandler(tlog));
  const token = `${b64url({ alg: 'none' })}.${b64url({ iss: args.issuer, sub: args.subject, aud: 'sigstore' })}.`;
  const signer = new FulcioSigner({ fulcioBaseURL: FULCIO, identityProvider: { getToken: async () => token } });
  const witness = new RekorWitness({ rekorBaseURL: REKOR });
  const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses: [witness] }).create({ data: payload });
  fs.writeFileSync(args.bundle, JSON.stringify(bundleToJSON(bundle)));

  const since = new Date(now.getTime() - 24 * 3600 * 1000);
  const keyId = (der) => crypto.createHash('sha256').update(der).digest();
  const root = TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{
      baseUrl: REKOR,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: tlog.publicKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: since.toISOString() } },
      logId: { keyId: keyId(tlog.publicKey).toString('base64') },
    }],
    certificateAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
      uri: FULCIO,
      certChain: { certificates: [{ rawBytes: Buffer.from(ca.rootCertificate.buffer).toString('base64') }] },
      validFor: { start: since.toISOString() },
    }],
    ctlogs: [{
      baseUrl: 'https://ctfe.mock.test',
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: Buffer.from(ctlog.publicKey).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: since.toISOString() } },
      logId: { keyId: Buffer.from(ctlog.logID.buffer).toString('base64') },
    }],
    timestampAuthorities: [],
  });
  fs.writeFileSync(args['trusted-root'], JSON.stringify(TrustedRoot.toJSON(root)));
  return { bundle: args.bundle, trustedRoot: args['trusted-root'] };
}

function keyVerify() {
  const payload = fs.readFileSync(args.payload);
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(args.bundle, 'utf8')));
  const der = crypto.createPublicKey(fs.readFileSync(args.key)).export({ format: 'der', type: 'spki' });
  const empty = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });
  const keys = { [args.hint]: { rawBytes: der, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256 } };
  const verifier = new Verifier(toTrustMaterial(empty, keys), { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle, payload));
  return { verified: true };
}

const commands = { 'key-sign': keySign, 'keyless-sign': keylessSign, 'key-verify': keyVerify };
try {
  if (!commands[command]) throw new Error(`unknown command '${command}'`);
  console.log(JSON.stringify(await commands[command]()));
} catch (e) {
  console.error(e?.stack || String(e));
  process.exit(1);
}
