// An empty program: the project exists only so that its ReadyToRun publish precompiles its references.
return 0;
