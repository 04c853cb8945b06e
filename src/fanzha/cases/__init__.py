"""Cases: one per trigger, a state machine with recorded transitions, review queues and claims."""
