/** A parse worker that fails as it loads, before it starts (tests of the parse thread). */
throw new Error("this parse worker fails to start, on purpose");
