-- Restart policies need to know whether the user stopped a container (docker stop or kill), as
-- moby's HasBeenManuallyStopped: such a container is not restarted until it is started again
-- (or, with `always`, until kapald starts).
ALTER TABLE containers ADD COLUMN manually_stopped INTEGER NOT NULL DEFAULT 0;
