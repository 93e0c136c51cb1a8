#!/usr/bin/env node
/** CDK entry point (cdk.json: `npx tsx bin/app.ts`). Configuration: cdk.json context or `-c key=value`. */
import { createApp } from '../lib/app';

createApp().app.synth();
